import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { num } from './model.ts';
import { round6 } from '../api/fields.ts';

// The stock view: per item, on hand split by what blocks it, and available to promise
//   ATP = on hand − reserved − quarantined − rejected − expired − protected channel pools
// Reservations are item-level (a shop sells the item, not a bin); with a location filter the
// on-hand figures cover that location and everything under it, and `available` is capped by
// what is sellable there.

export interface StockLine { location: string; lot: string | null; lotId: number | null; expiresOn: string | null; status: string; onHand: number }
export interface StockRow {
  item: string; name: string; unit: string; safetyStock: number;
  onHand: number; quarantined: number; rejected: number; expired: number; reserved: number; protected: number; available: number;
  pools: { channel: string; qty: number; used: number; available: number }[];
  lines: StockLine[];
}

export async function getStock(db: Db, f: { item?: string; location?: string } = {}): Promise<StockRow[]> {
  // a mistyped location would otherwise look like an empty warehouse
  if (f.location && !(await db.query('SELECT 1 FROM locations WHERE id = $1', [f.location])).length) {
    throw new SpError('SP_ERR_NOT_FOUND', { field: 'querystring.location', reason: `no location "${f.location}"` });
  }
  const params = [f.item ?? null, f.location ?? null];
  const [items, lines, pools] = await Promise.all([
    db.query<{ sku: string; name: string; unit: string; safety_stock: string; reserved: string }>(
      `SELECT i.sku, i.name, i.unit, i.safety_stock, coalesce(p.reserved, 0) AS reserved
       FROM items i LEFT JOIN item_positions p ON p.item = i.sku WHERE ($1::text IS NULL OR i.sku = $1)
       ORDER BY i.sku`, [f.item ?? null]),
    db.query<{ item: string; location: string; lot_id: string; code: string | null; expires_on: string | null; status: string; on_hand: string }>(
      `WITH RECURSIVE under(id) AS (
         SELECT id FROM locations WHERE id = $2
         UNION ALL SELECT l.id FROM locations l JOIN under u ON l.parent = u.id)
       SELECT b.item, b.location, b.lot_id, l.code, l.expires_on::text AS expires_on, b.on_hand,
              CASE WHEN b.lot_id = 0 THEN 'available'
                   WHEN l.status IN ('available','near_expiry') AND l.expires_on < current_date THEN 'expired'
                   ELSE l.status END AS status
       FROM balances b LEFT JOIN lots l ON l.id = b.lot_id
       WHERE b.on_hand <> 0 AND ($1::text IS NULL OR b.item = $1) AND ($2::text IS NULL OR b.location IN (SELECT id FROM under))
       ORDER BY b.item, l.expires_on NULLS LAST, b.location`, params),
    db.query<{ item: string; channel: string; qty: string; used: string }>(
      'SELECT item, channel, qty, used FROM channel_pools WHERE ($1::text IS NULL OR item = $1) ORDER BY item, channel', [f.item ?? null]),
  ]);
  const rows: StockRow[] = [];
  for (const it of items) {
    const mine = lines.filter((l) => l.item === it.sku);
    if (f.location && !mine.length) continue;
    const sum = (pred: (s: string) => boolean) => mine.filter((l) => pred(l.status)).reduce((a, l) => a + num(l.on_hand), 0);
    const onHand = sum(() => true);
    const sellable = sum((s) => s === 'available' || s === 'near_expiry');
    const myPools = pools.filter((p) => p.item === it.sku);
    const remaining = (p: { qty: string; used: string }) => Math.max(num(p.qty) - num(p.used), 0);
    const protectedQty = myPools.reduce((a, p) => a + remaining(p), 0);
    const reserved = num(it.reserved);
    // item-level sellable: the location filter must not hide stock elsewhere from the ATP sum
    const itemSellable = f.location ? await itemSellableTotal(db, it.sku) : sellable;
    const general = itemSellable - reserved - protectedQty;
    const cap = (n: number) => round(Math.max(0, f.location ? Math.min(n, sellable) : n));
    rows.push({
      item: it.sku, name: it.name, unit: it.unit, safetyStock: num(it.safety_stock),
      onHand: round(onHand), quarantined: round(sum((s) => s === 'quarantined')), rejected: round(sum((s) => s === 'rejected')),
      expired: round(sum((s) => s === 'expired')), reserved: round(reserved), protected: round(protectedQty), available: cap(general),
      pools: myPools.map((p) => ({ channel: p.channel, qty: num(p.qty), used: num(p.used), available: cap(general + remaining(p)) })),
      lines: mine.map((l) => ({
        location: l.location, lot: l.code, lotId: Number(l.lot_id) || null, expiresOn: l.expires_on, status: l.status, onHand: num(l.on_hand),
      })),
    });
  }
  return rows;
}

async function itemSellableTotal(db: Db, item: string): Promise<number> {
  const [r] = await db.query<{ s: string }>('SELECT sp_sellable($1) AS s', [item]);
  return num(r?.s);
}

/** sums of many decimals: keep 6 places, drop binary float noise */
const round = round6;
