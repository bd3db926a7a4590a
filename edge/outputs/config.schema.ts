import { z } from 'zod';
import { BrokerLinkConfig } from '../broker/config.schema.ts';

// `outputs: [...]` in the gateway config: local alarm outputs that work with the cloud down.

const Severity = z.enum(['info', 'warning', 'critical']);
const Backoff = z.object({
  baseMs: z.number().int().min(1).default(500),
  maxMs: z.number().int().min(1).default(30_000),
}).strict();

const OutputBase = {
  /** shown in logs and status; default `<type>-<index>` */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" or "."').optional(),
  /** only alerts of these zones (default: all) */
  zones: z.array(z.string().min(1)).min(1).optional(),
};

export const MqttAlertOutput = z.object({
  ...OutputBase,
  type: z.literal('mqtt'),
  minSeverity: Severity.default('info'),
  /** the site broker to publish on; default: the gateway's deviceBroker link */
  broker: BrokerLinkConfig.optional(),
  /** topic = `<topicPrefix>/<zone>` */
  topicPrefix: z.string().min(1).regex(/^[^+#]*[^/+#]$/, 'no wildcards and no trailing "/"').default('stockpulse/v1/local/alerts'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
}).strict();

export const WebhookOutput = z.object({
  ...OutputBase,
  type: z.literal('webhook'),
  minSeverity: Severity.default('info'),
  url: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().int().min(100).default(5000),
  /** attempts after the first, with capped jittered backoff; 4xx answers are not retried */
  retries: z.number().int().min(0).default(5),
  backoff: Backoff.default({ baseMs: 500, maxMs: 30_000 }),
  /** transitions waiting at most; beyond it the oldest is dropped (and counted) */
  maxQueue: z.number().int().min(1).default(100),
}).strict();

export const RelayDriver = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('command'),
    /** run with /bin/sh -c; the state (`on`/`off`) is passed as its last argument ($1) and in STOCKPULSE_RELAY_STATE */
    command: z.string().min(1),
    timeoutMs: z.number().int().min(100).default(10_000),
  }).strict(),
  z.object({
    type: z.literal('modbus-coil'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
    unitId: z.number().int().min(0).max(255).default(1),
    /** coil address (0-based, as on the wire) */
    address: z.number().int().min(0).max(65535),
    timeoutMs: z.number().int().min(50).default(2000),
  }).strict(),
  z.object({ type: z.literal('log') }).strict(),
]);

export const RelayOutput = z.object({
  ...OutputBase,
  type: z.literal('relay'),
  /** the relay is on while at least one alert of this severity or higher is active */
  minSeverity: Severity.default('critical'),
  driver: RelayDriver,
  retries: z.number().int().min(0).default(3),
  backoff: Backoff.default({ baseMs: 500, maxMs: 10_000 }),
}).strict();

export const LogOutput = z.object({
  ...OutputBase,
  type: z.literal('log'),
  minSeverity: Severity.default('info'),
}).strict();

export const OutputConfig = z.discriminatedUnion('type', [MqttAlertOutput, WebhookOutput, RelayOutput, LogOutput]);
export type OutputConfig = z.infer<typeof OutputConfig>;
export type MqttAlertOutputConfig = z.infer<typeof MqttAlertOutput>;
export type WebhookOutputConfig = z.infer<typeof WebhookOutput>;
export type RelayOutputConfig = z.infer<typeof RelayOutput>;
export type RelayDriverConfig = z.infer<typeof RelayDriver>;

type Issue = { path: (string | number)[]; message: string };

/** Output names unique, zones known. Tolerant of partly invalid input. */
export function outputConfigIssues(raw: unknown): Issue[] {
  const cfg = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  if (!Array.isArray(cfg.outputs)) return [];
  const zones = new Set((Array.isArray(cfg.zones) ? cfg.zones : []).map((z) => (z as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string'));
  const issues: Issue[] = [];
  const names = new Set<string>();
  cfg.outputs.forEach((o: unknown, i: number) => {
    const out = (o && typeof o === 'object' ? o : {}) as Record<string, unknown>;
    const name = typeof out.name === 'string' ? out.name : undefined;
    if (name !== undefined) {
      if (names.has(name)) issues.push({ path: ['outputs', i, 'name'], message: `duplicate output name "${name}"` });
      names.add(name);
    }
    if (Array.isArray(out.zones)) out.zones.forEach((z, j) => {
      if (typeof z === 'string' && !zones.has(z)) issues.push({ path: ['outputs', i, 'zones', j], message: `unknown zone "${z}" (zones: ${[...zones].join(', ')})` });
    });
  });
  return issues;
}
