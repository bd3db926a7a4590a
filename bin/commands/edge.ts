import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { createLogger, untilSignal } from '../log.ts';
import { loadEdgeConfig } from '../../edge/config.ts';
import { Gateway } from '../../edge/gateway.ts';
import { queueLimitWarnings } from '../../edge/broker/queue-limits.ts';
import { help } from './edge.help.ts';


const command: Command = {
  name: 'edge',
  summary: 'run one edge gateway',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, { config: { type: 'string', short: 'c' }, check: { type: 'boolean' } });
    if (!values.config) {
      process.stderr.write('error: --config FILE is required (see stockpulse edge --help)\n');
      return 2;
    }
    const config = await loadEdgeConfig(values.config);
    if (values.check) {
      process.stdout.write(`${values.config}: ok — gateway ${config.gateway.id}, ${config.zones.length} zones, ${config.devices.length} devices\n`);
      // valid, but would lose data outside the gateway: a device broker queue an outage or burst overruns
      const onBroker = config.devices.filter((d) => d.protocol === 'mqtt-json' || d.protocol === 'rfid-portal').length;
      for (const w of queueLimitWarnings(config.deviceBroker, onBroker, Boolean(config.broker?.enabled))) process.stdout.write(`warning: ${w.path}: ${w.message}\n`);
      return 0;
    }
    const log = createLogger('stockpulse-edge');
    const gw = new Gateway({ config, log });
    await gw.start();
    await untilSignal(log);
    await gw.stop();
    return 0;
  },
};
export default command;
