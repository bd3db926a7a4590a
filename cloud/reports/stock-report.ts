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
