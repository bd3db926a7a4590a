import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { join } from 'node:path';
import { openDb } from '../../cloud/db/engine.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { verifyLedger } from '../../cloud/inventory/verify.ts';

const help = `stockpulse verify — recompute stock from the ledger and report every difference

usage: stockpulse verify [--database-url URL] [--data-dir DIR] [--json]

Recomputes balances per item/location/lot from the movements, reserved quantities from open
reservations and channel-pool usage from the reservations drawn on them, and lists balances
below zero on items that do not allow it. Read-only. Exit code 0 when everything matches,
1 when there are differences (fix them with a correcting movement, never by editing rows).
With \`stockpulse demo\` or \`stockpulse cloud\` running on the embedded database (PGlite),
this stops with SP_ERR_CONFLICT naming that process and its URL: stop it, or use its API.
`;

const command: Command = {
  name: 'verify',
  summary: 'recompute balances from the ledger and report differences',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, { 'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } });
    const url = values['database-url'] ?? process.env.DATABASE_URL;
    const dataDir = url ? undefined : join(values['data-dir'] ?? process.env.STOCKPULSE_DATA_DIR ?? './data', 'cloud-pglite');
    const db = await openDb({ url, dataDir });
    try {
      await migrate(db);
      const r = await verifyLedger(db);
      if (values.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      } else {
        process.stdout.write(`${db.describe()}\n  checked ${r.checked.movements} movements, ${r.checked.balances} balances, ${r.checked.items} items\n`);
        if (r.ok) process.stdout.write('  ok: balances, reservations and pools match the ledger\n');
        for (const d of r.differences) {
          const where = [d.item, d.location, d.lotId ? `lot#${d.lotId}` : '', d.channel ? `channel ${d.channel}` : ''].filter(Boolean).join(' ');
          process.stdout.write(`  DIFF ${d.check.padEnd(8)} ${where}: expected ${d.expected}, stored ${d.actual}\n`);
        }
      }
      return r.ok ? 0 : 1;
    } finally {
      await db.close();
    }
  },
};
export default command;
