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
  /**
   * 4 (3.1.1) or 5. Unset: 5 when STOCKPULSE_SHARE_GROUP is set (shared subscriptions are an
   * MQTT 5 feature; EMQX, HiveMQ and VerneMQ honour `$share` from 5 clients), else 4, which
   * every broker speaks, incl. the embedded aedes of `npm start` (no MQTT 5, no `$share`).
   */
  MQTT_PROTOCOL_VERSION: z.enum(['4', '5']).optional(),
  /**
   * Several cloud instances split the ingest: each joins `$share/GROUP/stockpulse/v1/gw/+/batch`
   * and the broker hands each batch to one of them. Unset = a plain subscription (one
   * instance, or the demo's aedes broker, which does not implement `$share`: every instance
   * would get every batch — still correct thanks to the idempotency key, just wasted work).
   */
  STOCKPULSE_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').optional(),
  STOCKPULSE_WEBHOOKS: z.string().default('').transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('each webhook must be a URL'))),
  STOCKPULSE_MQTT_ALERTS: Bool.default(true),
  STOCKPULSE_SITE_NAME: z.string().optional(),
  /** an uplink batch received and not acked for this long (s) marks its gateway's stream stalled: /api/health degraded, alert uplink_stalled */
  STOCKPULSE_UPLINK_STALL_SEC: z.coerce.number().positive().max(86_400).default(120),
  /** uplink batches of different gateways committed in one transaction (cloud/ingest/group-commit.ts); 1 = one transaction per batch */
  STOCKPULSE_INGEST_GROUP_MAX: z.coerce.number().int().min(1).max(1024).default(64),
  /** false: this instance schedules no jobs (GET/POST /api/jobs still work); default on */
  STOCKPULSE_JOBS: Bool.optional(),
});
export type CloudConfig = Omit<z.infer<typeof CloudEnv>, 'MQTT_PROTOCOL_VERSION'> & { MQTT_PROTOCOL_VERSION: 4 | 5 };

export function cloudConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof CloudConfig, string>> = {}): CloudConfig {
  const merged: Record<string, string | undefined> = {};
  for (const k of Object.keys(CloudEnv.shape)) merged[k] = overrides[k as keyof CloudConfig] ?? env[k];
  const r = CloudEnv.safeParse(merged);
  if (!r.success) throw new SpError('SP_ERR_CONFIG', zodIssuesToDetails(r.error.issues));
  const version = r.data.MQTT_PROTOCOL_VERSION ?? (r.data.STOCKPULSE_SHARE_GROUP ? '5' : '4');
  return { ...r.data, MQTT_PROTOCOL_VERSION: Number(version) as 4 | 5 };
}
