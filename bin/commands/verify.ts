import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { openOperatorDb } from '../operator-db.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { verifyLedger } from '../../cloud/inventory/verify.ts';
import { help } from './verify.help.ts';


const command: Command = {
  name: 'verify',
  summary: 'recompute balances from the ledger and report differences',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, { 'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } });
    const db = await openOperatorDb(values, { create: false });
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
          const what = d.check === 'over_reserved' ? `reserved ${d.expected}, on hand ${d.actual}` : `expected ${d.expected}, stored ${d.actual}`;
          process.stdout.write(`  DIFF ${d.check.padEnd(13)} ${where}: ${what}\n`);
        }
      }
      return r.ok ? 0 : 1;
    } finally {
      await db.close();
    }
  },
};
export default command;
