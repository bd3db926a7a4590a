import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { SpError } from '../../protocols/errors.ts';
import { openOperatorDb } from '../operator-db.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { addGateway, CLOUD_BROKER_USER, listGateways, mosquittoPasswordLines, parseGatewayId, revokeGateway } from '../../cloud/gateways/registry.ts';
import { mosquittoAcl, mosquittoPasswordFile } from '../../cloud/gateways/mosquitto.ts';
import { help } from './gateway.help.ts';


const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

const command: Command = {
  name: 'gateway',
  summary: 'register, list or revoke gateways; write the Mosquitto password file and ACL',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      id: { type: 'string' }, site: { type: 'string' }, zones: { type: 'string' }, sensors: { type: 'string' }, note: { type: 'string' },
      out: { type: 'string' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
    });
    const action = positionals[0];
    if (!action || !['add', 'list', 'revoke', 'mosquitto'].includes(action)) throw new SpError('SP_ERR_VALIDATION', { field: 'action', reason: 'say add, list, revoke or mosquitto (see --help)' });
    // arguments checked before the database is opened
    if (action === 'add' || action === 'revoke') parseGatewayId(values.id, '--id');
    if (action === 'mosquitto') {
      if (!values.out) throw new SpError('SP_ERR_VALIDATION', { field: '--out', reason: 'the directory to write passwd and acl into' });
      if (!process.env.MQTT_PASSWORD) throw new SpError('SP_ERR_VALIDATION', { field: 'MQTT_PASSWORD', reason: `the cloud's broker password (the cloud logs in as ${CLOUD_BROKER_USER} with it), so the password file can hold its hash` });
    }
    const db = await openOperatorDb(values);
    try {
      await migrate(db);
      if (action === 'add') {
        const { credential, info } = await addGateway(db, { id: values.id!, site: values.site, zones: list(values.zones), sensors: list(values.sensors), note: values.note, createdBy: 'cli' });
        process.stdout.write(`${credential}\n`);
        process.stderr.write(`gateway "${info.id}" (credential #${info.generation}, site ${info.site ?? 'from its first manifest'}) — the credential is shown once, store it now\n`);
      } else if (action === 'list') {
        for (const g of await listGateways(db)) {
          process.stdout.write(`${g.id.padEnd(20)} ${(g.site ?? '-').padEnd(14)} #${g.generation} ${g.prefix}…  zones: ${g.zones.join(',') || '-'}  sensors: ${g.sensors.length}${g.revokedAt ? `  (revoked ${new Date(g.revokedAt).toISOString()})` : ''}\n`);
        }
      } else if (action === 'revoke') {
        const g = await revokeGateway(db, values.id!);
        process.stdout.write(`revoked gateway "${g.id}"\n`);
      } else {
        await mkdir(values.out!, { recursive: true });
        const lines = await mosquittoPasswordLines(db);
        await writeFile(join(values.out!, 'passwd'), mosquittoPasswordFile(lines, { password: process.env.MQTT_PASSWORD! }), { mode: 0o600 });
        await writeFile(join(values.out!, 'acl'), mosquittoAcl());
        process.stdout.write(`wrote ${join(values.out!, 'passwd')} (${lines.length} gateway(s) + ${CLOUD_BROKER_USER}) and ${join(values.out!, 'acl')}; reload Mosquitto (SIGHUP)\n`);
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
