import type { Db } from '../../db/engine.ts';
import { ZERO, mul, text, toNumber, type Fixed } from './decimal.ts';
import { loadItems, loadLedger } from './ledger-rows.ts';
import { replay } from './moving-average.ts';

// Cost of goods sold for a period: every shipment line (movement) that left in it, at the
// moving-average cost it took, beside its revenue at the sales order's price (when the order has
// one) and the margin. A return that reverses a shipment is a negative line (it comes back at
// the cost its shipment took, so the COGS of the pair nets to zero).

export interface CogsLine {
  movement: number; at: string; kind: 'shipment' | 'return'; item: string; name: string; lot: string | null;
  salesOrder: number | null; customer: string | null;
  qty: number; unitCostMinor: string; cogsMinor: string; costCurrency: string;
  revenueMinor: string | null; currency: string | null; marginMinor: string | null;
}
export interface Cogs {
  from: string; to: string;
  lines: CogsLine[];
  totals: { currency: string; qty: number; cogsMinor: string; revenueMinor: string; marginMinor: string; unpricedLines: number }[];
}

/** fromMs inclusive, toMs exclusive */
export async function cogs(db: Db, p: { fromMs: number; toMs: number; from: string; to: string }): Promise<Cogs> {
  const [rows, items] = await Promise.all([loadLedger(db, p.toMs - 1), loadItems(db)]);
  const r = replay(rows, items);
  const lines: CogsLine[] = [];
  const totals = new Map<string, { qty: Fixed; cogs: Fixed; revenue: Fixed; margin: Fixed; unpriced: number }>();
  for (const m of r.movements) {
    const row = m.row;
    if (row.at < p.fromMs || row.at >= p.toMs) continue;
    if (row.kind !== 'shipment' && !(row.kind === 'return' && m.basis === 'reversed')) continue;
    const neg = row.kind === 'return' ? -1n : 1n;
    const info = items.get(row.item);
    const costCurrency = info?.currency ?? 'EUR';
    const so = row.order?.type === 'sales_order' ? row.order : null;
    const revenue = so && row.orderPrice !== null ? mul(row.qty, row.orderPrice) * neg : null;
    const cogsV = m.value * neg;
    // a margin needs both sides in one currency
    const margin = revenue !== null && (so?.currency ?? costCurrency) === costCurrency ? revenue - cogsV : null;
    lines.push({
      movement: row.id, at: new Date(row.at).toISOString(), kind: row.kind as 'shipment' | 'return', item: row.item, name: info?.name ?? row.item, lot: row.lot,
      salesOrder: so?.id ?? null, customer: so?.partner ?? null,
      qty: toNumber(row.qty * neg), unitCostMinor: text(m.unitCost), cogsMinor: text(cogsV), costCurrency,
      revenueMinor: revenue === null ? null : text(revenue), currency: so?.currency ?? null, marginMinor: margin === null ? null : text(margin),
    });
    const t = totals.get(costCurrency) ?? { qty: ZERO, cogs: ZERO, revenue: ZERO, margin: ZERO, unpriced: 0 };
    t.qty += row.qty * neg;
    t.cogs += cogsV;
    if (margin !== null) { t.revenue += revenue!; t.margin += margin; } else t.unpriced += 1;
    totals.set(costCurrency, t);
  }
  return {
    from: p.from, to: p.to, lines,
    totals: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, t]) => ({
      currency, qty: toNumber(t.qty), cogsMinor: text(t.cogs), revenueMinor: text(t.revenue), marginMinor: text(t.margin), unpricedLines: t.unpriced,
    })),
  };
}
