import pino, { type Logger } from 'pino';

// One logger for the process. Secrets never reach the log: credentials are redacted by key
// wherever they appear in a logged object.
export function createLogger(name: string): Logger {
  return pino({
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: ['password', '*.password', '*.*.password', 'DATABASE_URL', '*.DATABASE_URL', 'MQTT_PASSWORD', '*.MQTT_PASSWORD'], censor: '***' },
  });
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
