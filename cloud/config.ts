import { z } from 'zod';
import { SpError, zodIssuesToDetails } from '../protocols/errors.ts';

// Cloud configuration comes from the environment (12-factor: the same image runs as one
// instance or ten). Parsed once; every problem listed.

const Bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

export const CloudEnv = z.object({
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  STOCKPULSE_DATA_DIR: z.string().default('./data'),
  STOCKPULSE_TIMESCALE: z.enum(['auto', 'off', 'require']).default('auto'),
  MQTT_URL: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt:// or mqtts:// URL'),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** 4 (3.1.1) works with every broker incl. the embedded aedes; 5 for brokers that need it for $share */
  MQTT_PROTOCOL_VERSION: z.enum(['4', '5']).default('4').transform(Number),
  STOCKPULSE_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  STOCKPULSE_WEBHOOKS: z.string().default('').transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('each webhook must be a URL'))),
  STOCKPULSE_MQTT_ALERTS: Bool.default(true),
  STOCKPULSE_SITE_NAME: z.string().optional(),
});
export type CloudConfig = z.infer<typeof CloudEnv>;

export function cloudConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof CloudConfig, string>> = {}): CloudConfig {
  const merged: Record<string, string | undefined> = {};
  for (const k of Object.keys(CloudEnv.shape)) merged[k] = overrides[k as keyof CloudConfig] ?? env[k];
  const r = CloudEnv.safeParse(merged);
  if (!r.success) throw new SpError('SP_ERR_CONFIG', zodIssuesToDetails(r.error.issues));
  return r.data;
}
