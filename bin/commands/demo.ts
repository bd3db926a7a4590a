import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { createLogger, untilSignal } from '../log.ts';
import { startDemoStack } from '../demo-stack.ts';

const help = `stockpulse demo — the whole system on embedded defaults (what \`npm start\` runs)

usage: stockpulse demo [--port N] [--mqtt-port N] [--data-dir DIR] [--delay SEC] [--time-scale N]

Starts, in one process: an MQTT broker (aedes), the cloud (PGlite database kept under DIR,
MQTT ingest, REST API, dashboard), the 'bakery' simulator (a chiller with two MQTT probes and a
door contact, a freezer with a Modbus TCP controller) and one edge gateway watching it.
Prints the dashboard URL. Ctrl-C stops everything cleanly.

  --port N         dashboard/API port (default HTTP_PORT or 3000)
  --mqtt-port N    embedded broker port (default MQTT_PORT or 0 = any free port;
                   1883 is usually taken by a system broker)
  --data-dir DIR   where the database lives (default STOCKPULSE_DATA_DIR or ./data)
  --delay SEC      alarm delay for every zone (default 60; production configs use 300–600)
  --time-scale N   simulated minutes pass N× faster (default 30: a dead compressor shows in
                   minutes instead of an hour)
  --webhook URL    also send alerts to this URL (repeatable); the demo's own inbox at
                   /api/demo/webhook-inbox always receives them

Try it: open the dashboard, press "compressor_failure" on the chiller in the Simulator box, and
watch the chiller climb past 8 °C, the alert appear after the delay, and the webhook inbox log it.
`;

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
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number (got "${v}")`);
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
