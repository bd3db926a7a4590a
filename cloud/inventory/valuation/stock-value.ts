import type { Db } from '../../db/engine.ts';
import { ZERO, mul, text, toNumber, type Fixed } from './decimal.ts';
import { loadItems, loadLedger } from './ledger-rows.ts';
import { averageOf, replay } from './moving-average.ts';

// Stock value: per item on hand × moving-average cost, totals per currency, and (?by=) the same
// split by location or by lot. Money leaves as exact decimal text in minor units (cents):
// "1234.5" is 12.345 EUR; a JSON number would be a binary float again.

export type ValueBy = 'item' | 'location' | 'lot';

export interface ItemValue {
  item: string; name: string; unit: string; currency: string;
  onHand: number; averageCostMinor: string | null; valueMinor: string;
  /** some stock came in with no price at all (no order, no master-data cost): its value is 0 */
  unpriced: boolean;
}
export interface GroupValue {
  item: string; name: string; currency: string; location?: string; lot?: string | null; lotId?: number | null;
  onHand: number; averageCostMinor: string | null; valueMinor: string;
}
export interface StockValue {
  at: string | null;
  totals: { currency: string; valueMinor: string }[];
  items: ItemValue[];
  by?: 'location' | 'lot';
  groups?: GroupValue[];
}

export async function stockValue(db: Db, o: { by?: ValueBy; atMs?: number | null } = {}): Promise<StockValue> {
  const atMs = o.atMs ?? null;
  const [rows, items] = await Promise.all([loadLedger(db, atMs), loadItems(db)]);
  const r = replay(rows, items);
  const unpriced = new Set(r.movements.filter((m) => m.basis === 'unpriced' && m.row.qty > ZERO).map((m) => m.row.item));
  const totals = new Map<string, Fixed>();
  const out: ItemValue[] = [];
  for (const [sku, p] of [...r.positions].sort(([a], [b]) => a.localeCompare(b))) {
    const info = items.get(sku);
    const currency = info?.currency ?? 'EUR';
    if (p.qty === ZERO && p.value === ZERO) continue;
    const avg = averageOf(p);
    out.push({
      item: sku, name: info?.name ?? sku, unit: info?.unit ?? '', currency, onHand: toNumber(p.qty),
      averageCostMinor: avg === null ? null : text(avg), valueMinor: text(p.value), unpriced: unpriced.has(sku),
    });
    totals.set(currency, (totals.get(currency) ?? ZERO) + p.value);
  }
  const result: StockValue = {
    at: atMs === null ? null : new Date(atMs).toISOString(),
    totals: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ currency, valueMinor: text(v) })),
    items: out,
  };
  if (o.by === 'location' || o.by === 'lot') {
    // a location's or a lot's value: its quantity × the item's average (one average per item)
    const groups = new Map<string, { item: string; location?: string; lot?: string | null; lotId?: number | null; qty: Fixed }>();
    for (const l of r.legs.values()) {
      if (l.qty === ZERO) continue;
      const key = o.by === 'location' ? `${l.location}\u0000${l.item}` : `${l.item}\u0000${l.lotId ?? 0}`;
      const g = groups.get(key) ?? (o.by === 'location' ? { item: l.item, location: l.location, qty: ZERO } : { item: l.item, lot: l.lot, lotId: l.lotId, qty: ZERO });
      g.qty += l.qty;
      groups.set(key, g);
    }
    result.by = o.by;
    result.groups = [...groups.values()].filter((g) => g.qty !== ZERO).map((g): GroupValue => {
      const p = r.positions.get(g.item)!;
      const avg = averageOf(p);
      const info = items.get(g.item);
      return {
        item: g.item, name: info?.name ?? g.item, currency: info?.currency ?? 'EUR',
        ...(o.by === 'location' ? { location: g.location } : { lot: g.lot ?? null, lotId: g.lotId ?? null }),
        onHand: toNumber(g.qty), averageCostMinor: avg === null ? null : text(avg), valueMinor: text(avg === null ? ZERO : mul(g.qty, avg)),
      };
    }).sort((a, b) => (a.location ?? '').localeCompare(b.location ?? '') || a.item.localeCompare(b.item) || (a.lot ?? '').localeCompare(b.lot ?? ''));
  }
  return result;
}
