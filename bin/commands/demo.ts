import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { createLogger, untilSignal } from '../log.ts';
import { startDemoStack } from '../demo-stack.ts';
import { help } from './demo.help.ts';
import { SpError } from '../../protocols/errors.ts';


const command: Command = {
  name: 'demo',
  summary: 'everything on embedded defaults',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, {
      port: { type: 'string' }, 'mqtt-port': { type: 'string' }, 'data-dir': { type: 'string' },
      delay: { type: 'string' }, 'time-scale': { type: 'string' }, webhook: { type: 'string', multiple: true },
    });
    const num = (v: string | undefined, name: string, fallback: number) => {
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new SpError('SP_ERR_VALIDATION', { field: `--${name}`, reason: `must be a non-negative number (got "${v}")` });
      return n;
    };
    const log = createLogger('stockpulse-demo');
    const stack = await startDemoStack({
      log,
      httpPort: num(values.port ?? process.env.HTTP_PORT, 'port', 3000),
      mqttPort: num(values['mqtt-port'] ?? process.env.MQTT_PORT, 'mqtt-port', 0),
      dataDir: values['data-dir'] ?? process.env.STOCKPULSE_DATA_DIR ?? './data',
      databaseUrl: process.env.DATABASE_URL,
      delaySec: num(values.delay, 'delay', 60),
      timeScale: num(values['time-scale'], 'time-scale', 30),
      webhooks: values.webhook ?? [],
    });
    process.stdout.write(`\n  stockpulse demo is running\n\n    dashboard   ${stack.dashboardUrl}\n    stock       ${stack.url}/stock.html\n    API docs    ${stack.url}/docs\n    MQTT        ${stack.mqttUrl}\n\n  Ctrl-C to stop.\n\n`);
    await untilSignal(log);
    await stack.stop();
    log.info('stopped cleanly');
    return 0;
  },
};
export default command;
