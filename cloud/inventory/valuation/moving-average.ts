import { ZERO, div, divRound, mul, type Fixed } from './decimal.ts';
import type { ItemCostInfo, LedgerRow } from './ledger-rows.ts';

// Moving-average cost per item, recomputed from the ledger in ledger order (movement id). The
// average is the item's, over all locations and lots (goods of one item are interchangeable in
// the books; a location's or a lot's value is its quantity × that average).
//
//   receipt against a purchase order   at the order line's unit price: raises / blends the average
//   receipt with no order (by hand)    at the current average (it does not move it); with no stock
//                                      history yet, the item's master-data cost; else 0, flagged
//   return (reverses a shipment)       at the unit cost that shipment took: it undoes that COGS
//                                      exactly, so shipping and taking back leaves value unchanged
//   adjustment / count correction in   at the current average: found stock is the same goods we
//                                      hold, and inventing a price would move the average by a typo
//   shipment, consumption, scrap,      at the current average: the share qty / on hand of the stock
//   adjustment / count correction out  value (the last unit out takes exactly what is left, so value
//                                      never drifts from zero when the shelf is empty)
//   transfer                           nothing changes for the item; its value moves with the qty
//
// Each outgoing cost is rounded once (6 decimals of a minor unit) and subtracted from the value
// as rounded, so received value = value on hand + every outgoing cost, exactly.

export type Basis = 'order_price' | 'average' | 'reversed' | 'master_data' | 'unpriced';

export interface ValuedMovement {
  row: LedgerRow;
  /** +1 stock in, −1 stock out, 0 a transfer */
  sign: 1 | -1 | 0;
  unitCost: Fixed;
  /** qty × unit cost, as booked (positive; `sign` says the direction) */
  value: Fixed;
  basis: Basis;
}

export interface ItemPosition { qty: Fixed; value: Fixed; /** the last average while there was stock (cost of an outgoing on an empty shelf) */ lastAverage: Fixed | null }

export interface Replay {
  positions: Map<string, ItemPosition>;
  movements: ValuedMovement[];
  /** on hand per item, location and lot: `${item}\u0000${location}\u0000${lotId ?? 0}` */
  legs: Map<string, { item: string; location: string; lot: string | null; lotId: number | null; qty: Fixed }>;
}

const IN_KINDS = new Set(['receipt', 'return']);
const OUT_KINDS = new Set(['shipment', 'consumption', 'scrap']);

function signOf(r: LedgerRow): 1 | -1 | 0 {
  if (IN_KINDS.has(r.kind)) return 1;
  if (OUT_KINDS.has(r.kind)) return -1;
  if (r.kind === 'transfer') return 0;
  return r.to ? 1 : -1;   // adjustment / count_correction: "to" is stock found, "from" stock lost
}

export const averageOf = (p: ItemPosition): Fixed | null => (p.qty > ZERO ? div(p.value, p.qty) : p.lastAverage);

export function replay(rows: LedgerRow[], items: Map<string, ItemCostInfo>): Replay {
  const positions = new Map<string, ItemPosition>();
  const byId = new Map<number, ValuedMovement>();
  const movements: ValuedMovement[] = [];
  const legs: Replay['legs'] = new Map();
  const leg = (r: LedgerRow, location: string, delta: Fixed) => {
    const k = `${r.item}\u0000${location}\u0000${r.lotId ?? 0}`;
    const l = legs.get(k) ?? { item: r.item, location, lot: r.lot, lotId: r.lotId, qty: ZERO };
    l.qty += delta;
    legs.set(k, l);
  };
  for (const r of rows) {
    const p = positions.get(r.item) ?? { qty: ZERO, value: ZERO, lastAverage: null };
    positions.set(r.item, p);
    if (r.from) leg(r, r.from, -r.qty);
    if (r.to) leg(r, r.to, r.qty);
    const sign = signOf(r);
    let unitCost = averageOf(p) ?? ZERO;
    let value = ZERO;
    let basis: Basis = 'average';
    if (sign === 1) {
      const reversed = r.reverses === null ? undefined : byId.get(r.reverses);
      if (r.kind === 'receipt' && r.order?.type === 'purchase_order' && r.orderPrice !== null) {
        unitCost = r.orderPrice; basis = 'order_price';
      } else if (reversed && reversed.sign === -1 && reversed.row.item === r.item) {
        unitCost = reversed.unitCost; basis = 'reversed';
      } else if (averageOf(p) === null) {
        const master = items.get(r.item)?.costMinor ?? null;
        unitCost = master ?? ZERO; basis = master === null ? 'unpriced' : 'master_data';
      }
      value = mul(r.qty, unitCost);
      p.qty += r.qty;
      p.value += value;
    } else if (sign === -1) {
      // the share qty / on hand of the stock value, rounded once (no rounded average in between);
      // all of it when the shelf empties; beyond that (an item allowed to go negative) at the last average
      const last = averageOf(p) ?? ZERO;
      if (p.qty > ZERO && r.qty < p.qty) value = divRound(p.value * r.qty, p.qty);
      else if (p.qty > ZERO) value = p.value + mul(r.qty - p.qty, last);
      else value = mul(r.qty, last);
      unitCost = div(value, r.qty);
      p.qty -= r.qty;
      p.value -= value;
    }
    if (p.qty > ZERO) p.lastAverage = div(p.value, p.qty);
    const v: ValuedMovement = { row: r, sign, unitCost, value, basis };
    byId.set(r.id, v);
    movements.push(v);
  }
  return { positions, movements, legs };
}

