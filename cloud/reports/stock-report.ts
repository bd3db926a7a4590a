import { z } from 'zod';
import { Id } from '../inventory/model.ts';
import { getStock } from '../inventory/stock.ts';
import { defineReport } from './report.ts';

// Stock by item, location and lot: the stock page's API (GET /api/stock), one row per lot line
// (an item without stock lines gets one row of its own), like the stock page's own CSV.
export const stockReport = defineReport({
  id: 'stock',
  source: 'GET /api/stock',
  params: z.object({ item: Id.optional(), location: Id.optional() }),
  async run(db, p) {
    const rows: unknown[][] = [];
    for (const r of await getStock(db, p)) {
      const base = [r.item, r.name, r.unit];
      const totals = [r.onHand, r.reserved, r.quarantined + r.rejected, r.expired, r.available];
      if (!r.lines.length) rows.push([...base, '', '', '', '', '', ...totals]);
      for (const l of r.lines) rows.push([...base, l.lot ?? '', l.location, l.status, l.expiresOn ?? '', l.onHand, ...totals]);
    }
    return { columns: ['item', 'name', 'unit', 'lot', 'location', 'status', 'expiresOn', 'lotOnHand', 'onHand', 'reserved', 'quarantined', 'expired', 'available'], rows };
  },
});

const DAY = 86_400_000;

// Lots near or past expiry that are still in stock (what the expiry sweep digests), soonest first:
// every lot line expiring within `withinDays` days, or already marked near expiry / expired.
export const expiringReport = defineReport({
  id: 'expiring-lots',
  source: 'GET /api/stock',
  params: z.object({ withinDays: z.coerce.number().int().min(0).max(3660).default(30).describe('lots expiring within this many days from today') }),
  async run(db, p) {
    const today = Math.floor(Date.now() / DAY);
    const rows: { expiresOn: string; row: unknown[] }[] = [];
    for (const r of await getStock(db)) {
      for (const l of r.lines) {
        if (!l.expiresOn) continue;
        const daysLeft = Math.round(Date.parse(`${l.expiresOn}T00:00:00Z`) / DAY) - today;
        if (daysLeft > p.withinDays && l.status !== 'near_expiry' && l.status !== 'expired') continue;
        rows.push({ expiresOn: l.expiresOn, row: [r.item, r.name, l.lot ?? '', l.location, l.status, l.expiresOn, daysLeft, l.onHand, r.unit] });
      }
    }
    rows.sort((a, b) => a.expiresOn.localeCompare(b.expiresOn));
    return { columns: ['item', 'name', 'lot', 'location', 'status', 'expiresOn', 'daysLeft', 'lotOnHand', 'unit'], rows: rows.map((x) => x.row) };
  },
});
