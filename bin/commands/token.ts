import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { SpError } from '../../protocols/errors.ts';
import { openOperatorDb } from '../operator-db.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../cloud/auth/tokens.ts';
import { help } from './token.help.ts';


const command: Command = {
  name: 'token',
  summary: 'create, list or revoke API tokens',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      role: { type: 'string' }, name: { type: 'string' }, id: { type: 'string' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
    });
    const action = positionals[0];
    if (!action || !['create', 'list', 'revoke'].includes(action)) throw new SpError('SP_ERR_VALIDATION', { field: 'action', reason: 'say create, list or revoke (see --help)' });
    const db = await openOperatorDb(values);
    try {
      await migrate(db);
      if (action === 'create') {
        if (!values.name) throw new SpError('SP_ERR_VALIDATION', { field: '--name', reason: 'name the token (who or what uses it)' });
        const { token, info } = await createApiToken(db, { role: values.role ?? '', name: values.name, createdBy: 'cli' });
        process.stdout.write(`${token}\n`);
        process.stderr.write(`token #${info.id} "${info.name}" with role ${info.role} — shown once, store it now\n`);
      } else if (action === 'list') {
        for (const t of await listApiTokens(db)) {
          process.stdout.write(`${String(t.id).padStart(4)}  ${t.role.padEnd(10)} ${t.prefix}…  ${t.name}${t.revokedAt ? `  (revoked ${new Date(t.revokedAt).toISOString()})` : ''}\n`);
        }
      } else {
        const id = Number(values.id);
        if (!Number.isInteger(id) || id <= 0) throw new SpError('SP_ERR_VALIDATION', { field: '--id', reason: 'the token id (see: stockpulse token list)' });
        const t = await revokeApiToken(db, id);
        process.stdout.write(`revoked token #${t.id} "${t.name}"\n`);
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
