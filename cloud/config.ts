import { z } from 'zod';
import { SpError, zodIssuesToDetails } from '../protocols/errors.ts';

// Cloud configuration comes from the environment (12-factor: the same image runs as one
// instance or ten). Parsed once; every problem listed.

const Bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
/** a number from the environment: "abc" is an error naming the variable, never a silent NaN */
const Num = z.coerce.number().refine(Number.isFinite, 'must be a number');

/**
 * Every environment variable the cloud reads, with what `stockpulse cloud --help` says about it
 * (cloudEnvHelp() renders the help's variable list from this table, defaults included).
 */
export const CloudEnv = z.object({
  MQTT_URL: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt:// or mqtts:// URL')
    .describe('broker the gateways publish to (required), e.g. mqtt://broker:1883'),
  MQTT_USERNAME: z.string().optional().describe('broker user name'),
  MQTT_PASSWORD: z.string().optional().describe('broker password'),
  /**
   * 4 (3.1.1) or 5. Unset: 5 when STOCKPULSE_SHARE_GROUP is set (shared subscriptions are an
   * MQTT 5 feature; EMQX, HiveMQ and VerneMQ honour `$share` from 5 clients), else 4, which
   * every broker speaks, incl. the embedded aedes of `npm start` (no MQTT 5, no `$share`).
   */
  MQTT_PROTOCOL_VERSION: z.enum(['4', '5']).optional().describe('4 or 5 (default: 5 with STOCKPULSE_SHARE_GROUP, else 4)'),
  /**
   * Several cloud instances split the ingest: each joins `$share/GROUP/stockpulse/v1/gw/+/batch`
   * and the broker hands each batch to one of them. Unset = a plain subscription (one
   * instance, or the demo's aedes broker, which does not implement `$share`: every instance
   * would get every batch — still correct thanks to the idempotency key, just wasted work).
   */
  STOCKPULSE_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').optional()
    .describe('join an MQTT shared subscription group ($share/GROUP/...) so several cloud instances split the ingest (docs/deploy.md)'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()
    .describe('postgres://… (PostgreSQL or TimescaleDB); absent = PGlite under STOCKPULSE_DATA_DIR'),
  STOCKPULSE_DATA_DIR: z.string().default('./data').describe('parent directory of the embedded PGlite database'),
  STOCKPULSE_TIMESCALE: z.enum(['auto', 'off', 'require']).default('auto')
    .describe('auto: use TimescaleDB when the extension is available; off; require'),
  HTTP_HOST: z.string().default('0.0.0.0').describe('listen address of the API and dashboard'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('listen port of the API and dashboard'),
  STOCKPULSE_WEBHOOKS: z.string().default('').transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('each webhook must be a URL')))
    .describe('comma-separated URLs that receive every alert transition as JSON'),
  STOCKPULSE_MQTT_ALERTS: Bool.default(true).describe('publish alerts on stockpulse/v1/alerts/{zone}'),
  STOCKPULSE_SITE_NAME: z.string().optional().describe('site name reported by /api/health'),
  /** an uplink batch received and not acked for this long (s) marks its gateway's stream stalled: /api/health degraded, alert uplink_stalled */
  STOCKPULSE_UPLINK_STALL_SEC: Num.pipe(z.number().positive().max(86_400)).default(120)
    .describe('a gateway batch received and not acked this long (s) → /api/health degraded, alert uplink_stalled'),
  STOCKPULSE_INGEST_GROUP_MAX: Num.pipe(z.number().int().min(1).max(1024)).default(64)
    .describe('uplink batches of different gateways committed in one transaction (group commit, cloud/ingest/group-commit.ts; the plain ones written set-based, store-group.ts); 1 = one transaction per batch'),
  STOCKPULSE_INGEST_OVERLAP: Num.pipe(z.number().int().min(1).max(16)).default(8)
    .describe('readings-only uplink batches of one gateway in the cloud at once (the edge window\'s default): on PostgreSQL a run of big ones commits in one transaction with one COPY (group-commit.ts); acked in seq order, and with group commit committed in it (without: possibly out of it; cloud/ingest/mqtt-ingest.ts); 1 = one after the other'),
  STOCKPULSE_PG_PREPARED: Bool.default(true)
    .describe('PostgreSQL: statements run often are prepared once per connection (cloud/db/statement-names.ts); false behind a pooler in transaction mode (PgBouncer before 1.21)'),
  /** false: this instance schedules no jobs (GET/POST /api/jobs still work); default on */
  STOCKPULSE_JOBS: Bool.optional().describe('false: this instance schedules no jobs (they still run on request); default true'),
  STOCKPULSE_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()
    .describe('smtp://user:password@host:587 (or smtps://) for e-mail contacts'),
  STOCKPULSE_SMTP_FROM: z.string().min(3).default('stockpulse <stockpulse@localhost>').describe('sender of notification e-mails'),
  STOCKPULSE_NOTIFY_FILE: z.string().optional()
    .describe('JSON file of notification contacts and routes, applied by name at start (${VAR} expanded from the environment)'),
  STOCKPULSE_PUBLIC_URL: z.string().url('must be a URL').optional()
    .describe('dashboard URL put in messages as "Acknowledge: URL/?alert=ID"'),
  STOCKPULSE_COUNT_DRIFT_PCT: Num.pipe(z.number().min(0).max(100)).default(2)
    .describe('a weighed bin differing from the ledger by more than this % (or the scale tolerance) → count_drift alert'),
  STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR: Num.pipe(z.number().int().min(0)).default(500_000)
    .describe('purchase orders above this amount (minor units: 500000 = 5 000.00) also need the warehouse role\'s approval'),
  STOCKPULSE_SERVICE_LEVEL: Num.pipe(z.number().gt(0).lt(1)).default(0.95)
    .describe('replenishment: default service level for items without their own'),
  STOCKPULSE_REPLENISH_HISTORY_DAYS: Num.pipe(z.number().int().positive()).default(182)
    .describe('replenishment: days of demand history (182 = 26 whole weeks)'),
  STOCKPULSE_REPLENISH_COVER_DAYS: Num.pipe(z.number().positive()).default(14)
    .describe('replenishment: days of average demand an order covers beyond the reorder point'),
  STOCKPULSE_PDF_CJK_FONT: z.string().regex(/\.(ttc|otf|ttf)$/i, 'must be a .ttc, .otf or .ttf font file').default('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc')
    .describe('font file holding NotoSansCJKsc-Regular for Chinese report PDFs (Debian package fonts-noto-cjk); missing → zh-CN PDFs answer SP_ERR_FONT_MISSING'),
  LOG_LEVEL: z.string().default('info').describe('pino log level (debug, info, warn, error); credentials are redacted'),
});
type ParsedEnv = z.infer<typeof CloudEnv>;
export type CloudConfig = Readonly<Omit<ParsedEnv, 'MQTT_PROTOCOL_VERSION'> & {
  MQTT_PROTOCOL_VERSION: 4 | 5;
  /** the environment `${VAR}` in STOCKPULSE_NOTIFY_FILE expands from (a frozen copy) */
  NOTIFY_FILE_ENV: Readonly<Record<string, string | undefined>>;
}>;

/** the rule settings the domain takes as parameters (count drift, approvals, replenishment, links in messages, the report PDFs' CJK font) */
export type CloudSettings = Pick<CloudConfig, 'STOCKPULSE_COUNT_DRIFT_PCT' | 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR' | 'STOCKPULSE_SERVICE_LEVEL'
  | 'STOCKPULSE_REPLENISH_HISTORY_DAYS' | 'STOCKPULSE_REPLENISH_COVER_DAYS' | 'STOCKPULSE_PUBLIC_URL' | 'STOCKPULSE_PDF_CJK_FONT'>;
const SETTINGS_KEYS = ['STOCKPULSE_COUNT_DRIFT_PCT', 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR', 'STOCKPULSE_SERVICE_LEVEL',
  'STOCKPULSE_REPLENISH_HISTORY_DAYS', 'STOCKPULSE_REPLENISH_COVER_DAYS', 'STOCKPULSE_PUBLIC_URL', 'STOCKPULSE_PDF_CJK_FONT'] as const satisfies readonly (keyof CloudSettings)[];
const SettingsEnv = CloudEnv.pick(Object.fromEntries(SETTINGS_KEYS.map((k) => [k, true])) as { [K in (typeof SETTINGS_KEYS)[number]]: true });

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function parseEnv<S extends z.ZodType>(schema: S, keys: readonly string[], env: NodeJS.ProcessEnv, overrides: Record<string, string | undefined>): z.infer<S> {
  const merged: Record<string, string | undefined> = {};
  // an empty variable (VAR= in a compose file) counts as unset
  for (const k of keys) merged[k] = overrides[k] || env[k] || undefined;
  const r = schema.safeParse(merged);
  if (!r.success) throw new SpError('SP_ERR_CONFIG', zodIssuesToDetails(r.error.issues));
  return r.data;
}

/**
 * The cloud's configuration: parsed once from the environment (every problem listed, each
 * naming its variable), deep-frozen, and handed down from startCloud to whatever needs a value
 * — nothing in cloud/ reads process.env but this file (tests/cloud/config.test.ts).
 */
export function cloudConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof ParsedEnv, string>> = {}): CloudConfig {
  const data = parseEnv(CloudEnv, Object.keys(CloudEnv.shape), env, overrides);
  const version = data.MQTT_PROTOCOL_VERSION ?? (data.STOCKPULSE_SHARE_GROUP ? '5' : '4');
  const config = { ...data, MQTT_PROTOCOL_VERSION: Number(version) as 4 | 5 } as CloudConfig;
  // not enumerable: a logged or serialised config does not carry the whole environment
  Object.defineProperty(config, 'NOTIFY_FILE_ENV', { value: Object.freeze({ ...env }), enumerable: false });
  return deepFreeze(config);
}

/** only the rule settings (for `stockpulse jobs run`, which needs no broker): same validation */
export function cloudSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CloudSettings {
  return deepFreeze(parseEnv(SettingsEnv, SETTINGS_KEYS, env, {}));
}

/** the settings with every variable unset: the defaults a domain function falls back to */
export const DEFAULT_SETTINGS: CloudSettings = cloudSettingsFromEnv({});

/** the environment section of `stockpulse cloud --help`, from the schema above (name, default, meaning) */
export function cloudEnvHelp(): string {
  const lines: string[] = [];
  for (const [name, schema] of Object.entries(CloudEnv.shape) as [string, z.ZodType][]) {
    const dflt = schema.safeParse(undefined);
    const shown = dflt.success && dflt.data !== undefined && !(Array.isArray(dflt.data) && dflt.data.length === 0) ? ` (default ${String(dflt.data)})` : '';
    const text = `${schema.description ?? ''}${shown}`;
    lines.push(`  ${name}`, ...wrap(text, 72).map((l) => `      ${l}`));
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) { out.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
