import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl } from '../edge/broker/redact.ts';

// One logger for the process. Secrets never reach the log: credentials are redacted by key
// wherever they appear in a logged object; a logged `url` keeps its host but loses its password
// and secret query values (edge/broker/redact.ts). `destination` lets tests capture the output.
const SECRET_KEYS = ['password', 'passphrase', 'DATABASE_URL', 'MQTT_PASSWORD', 'authorization', 'Authorization'];
const URL_KEYS = ['url', 'uri'];
export function createLogger(name: string, destination?: DestinationStream): Logger {
  const at = (k: string) => [k, `*.${k}`, `*.*.${k}`];
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
