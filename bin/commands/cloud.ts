import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { createLogger, untilSignal } from '../log.ts';
import { cloudConfigFromEnv } from '../../cloud/config.ts';
import { startCloud } from '../../cloud/cloud.ts';
import { help } from './cloud.help.ts';


const command: Command = {
  name: 'cloud',
  summary: 'run the cloud',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, {
      port: { type: 'string' }, 'mqtt-url': { type: 'string' }, 'database-url': { type: 'string' },
    });
    const config = cloudConfigFromEnv(process.env, {
      ...(values.port ? { HTTP_PORT: values.port } : {}),
      ...(values['mqtt-url'] ? { MQTT_URL: values['mqtt-url'] } : {}),
      ...(values['database-url'] ? { DATABASE_URL: values['database-url'] } : {}),
    });
    const log = createLogger('stockpulse-cloud');
    const cloud = await startCloud({ config, log });
    log.info({ url: cloud.url }, `cloud ready: dashboard ${cloud.url}/  API docs ${cloud.url}/docs`);
    await untilSignal(log);
    await cloud.stop();
    return 0;
  },
};
export default command;
