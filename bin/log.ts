import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl } from '../edge/broker/redact.ts';

// One logger for the process. Secrets never reach the log: credentials are redacted by key
// wherever they appear in a logged object; a logged `url` keeps its host but loses its password
// and secret query values (edge/broker/redact.ts). `destination` lets tests capture the output.
const SECRET_KEYS = ['password', 'passphrase', 'DATABASE_URL', 'MQTT_PASSWORD', 'authorization', 'Authorization'];
const URL_KEYS = ['url', 'uri'];
export function createLogger(name: string, destination?: DestinationStream): Logger {
  const at = (k: string) => [k, `*.${k}`, `*.*.${k}`];
  // a person at a terminal reads short lines; files, pipes and log shippers keep pino's JSON
  destination ??= logFormat(process.env, Boolean(process.stdout.isTTY)) === 'pretty' ? prettyDestination(process.stdout) : undefined;
  return pino({
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: [...SECRET_KEYS, ...URL_KEYS].flatMap(at),
      censor: (value: unknown, path: string[]) => (URL_KEYS.includes(path[path.length - 1]!) && typeof value === 'string' ? redactUrl(value) : '***'),
    },
  }, destination);
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once (stuck shutdown). */
export function untilSignal(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    const once = (sig: string) => {
      log.info({ signal: sig }, 'stopping (press Ctrl-C again to force)');
      process.once(sig as NodeJS.Signals, () => process.exit(130));
      resolve(sig);
    };
    process.once('SIGINT', () => once('SIGINT'));
    process.once('SIGTERM', () => once('SIGTERM'));
  });
}

// ---------------------------------------------------------------- readable terminal lines
// STOCKPULSE_LOG_FORMAT=pretty|json; unset: pretty when stdout is a terminal, JSON otherwise.
// The pretty line is made from the JSON pino wrote (after redaction), so it can never show
// more than the JSON would: `01:02:03 WARN  edge  alert raised: … zone=chiller rule=high`.

export type LogFormat = 'pretty' | 'json';
export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const v = env.STOCKPULSE_LOG_FORMAT?.trim().toLowerCase();
  if (v === 'pretty' || v === 'json') return v;
  // an unknown value is not worth refusing to start over: the machine-readable default
  if (v) return 'json';
  return isTTY ? 'pretty' : 'json';
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** what every line has anyway, or what the line shows in its own column */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'part', 'component', 'v']);
const MAX_FIELDS = 4;
const two = (n: number) => String(n).padStart(2, '0');

function short(v: unknown): string {
  if (typeof v === 'string') return v.length > 60 ? `${v.slice(0, 57)}…` : v;
  if (v && typeof v === 'object') {
    const m = (v as { message?: unknown }).message;
    if (typeof m === 'string') return short(m);
    const j = JSON.stringify(v);
    return j.length > 60 ? `${j.slice(0, 57)}…` : j;
  }
  return String(v);
}

/** one pino JSON line → `HH:MM:SS LEVEL part message k=v …` (24 h, local time); not JSON → as it came */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try { o = JSON.parse(json) as Record<string, unknown>; } catch { return json.endsWith('\n') ? json : `${json}\n`; }
  const t = new Date(typeof o.time === 'number' ? o.time : Date.now());
  const time = `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  const level = (LEVELS[o.level as number] ?? String(o.level)).padEnd(5);
  const part = [o.part, o.component].filter((x) => typeof x === 'string').join('/');
  const fields = Object.entries(o).filter(([k, v]) => !SKIP.has(k) && v !== undefined && v !== null)
    .slice(0, MAX_FIELDS).map(([k, v]) => `${k}=${short(v)}`);
  return `${[time, level, part.padEnd(6), String(o.msg ?? ''), ...fields].filter((x) => x !== '').join(' ')}\n`;
}

export function prettyDestination(out: { write(s: string): unknown }): DestinationStream {
  return { write: (s: string) => { for (const line of s.split('\n')) if (line) out.write(prettyLine(line)); } };
}
