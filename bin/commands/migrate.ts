import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { openOperatorDb } from '../operator-db.ts';
import { migrate, type TimescaleMode } from '../../cloud/db/migrate.ts';
import { help } from './migrate.help.ts';


const command: Command = {
  name: 'migrate',
  summary: 'apply migrations',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, {
      'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, timescale: { type: 'string' },
    });
    const mode = (values.timescale ?? process.env.STOCKPULSE_TIMESCALE ?? 'auto') as TimescaleMode;
    if (!['auto', 'off', 'require'].includes(mode)) {
      process.stderr.write(`error SP_ERR_VALIDATION\n  --timescale: must be auto, off or require (got "${mode}")\n`);
      return 2;
    }
    const db = await openOperatorDb(values);
    try {
      const r = await migrate(db, { timescale: mode });
      process.stdout.write(`${db.describe()}\n  timescaledb: ${r.timescale ? 'yes' : `no${r.timescaleNote ? ` (${r.timescaleNote})` : ''}`}\n`);
      process.stdout.write(`  applied now: ${r.applied.length ? r.applied.join(', ') : 'nothing (up to date)'}\n  applied before: ${r.alreadyApplied}\n`);
    } finally {
      await db.close();
    }
    return 0;
  },
};
export default command;
