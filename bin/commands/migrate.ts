import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { openDb } from '../../cloud/db/engine.ts';
import { migrate, type TimescaleMode } from '../../cloud/db/migrate.ts';

const help = `stockpulse migrate — apply the database migrations and report what was found

usage: stockpulse migrate [--database-url URL] [--data-dir DIR] [--timescale auto|off|require]

Without --database-url (or DATABASE_URL) the embedded PGlite database under DIR/cloud-pglite
(default ./data) is migrated. With TimescaleDB available, readings becomes a hypertable with
compression and retention policies and per-minute/hour continuous aggregates.
Safe to run while other instances start: migrations take an advisory lock.
With \`stockpulse demo\` or \`stockpulse cloud\` running on the embedded database (PGlite),
this stops with SP_ERR_CONFLICT naming that process and its URL: stop it, or use its API.
`;

const command: Command = {
  name: 'migrate',
  summary: 'apply migrations',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, {
      'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, timescale: { type: 'string' },
    });
    const url = values['database-url'] ?? process.env.DATABASE_URL;
    const mode = (values.timescale ?? process.env.STOCKPULSE_TIMESCALE ?? 'auto') as TimescaleMode;
    if (!['auto', 'off', 'require'].includes(mode)) {
      process.stderr.write(`error SP_ERR_VALIDATION\n  --timescale: must be auto, off or require (got "${mode}")\n`);
      return 2;
    }
    const dataDir = url ? undefined : join(values['data-dir'] ?? process.env.STOCKPULSE_DATA_DIR ?? './data', 'cloud-pglite');
    if (dataDir) await mkdir(dataDir, { recursive: true });
    const db = await openDb({ url, dataDir });
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
