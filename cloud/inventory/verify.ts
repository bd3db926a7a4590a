import type { Db } from '../db/engine.ts';
import { num } from './model.ts';

// Recomputes every derived figure from its source of truth and lists what differs:
// balances from the ledger, reserved counters from open reservations, pool usage from the
// reservations drawn on each pool, balances below zero on items that forbid it, and items with
// less on hand than is reserved (holds that can no longer be served: the ledger refuses every
// movement that would cause it, but a count correction records reality and may).
// Read-only: a difference is for a person to investigate (and correct with a movement).

export interface VerifyDifference {
  check: 'balance' | 'reserved' | 'pool' | 'negative' | 'over_reserved';
  item: string; location?: string; lotId?: number; channel?: string;
  expected: number; actual: number;
}
export interface VerifyReport { ok: boolean; checked: { balances: number; movements: number; items: number }; differences: VerifyDifference[] }

export async function verifyLedger(db: Db): Promise<VerifyReport> {
  const [balanceDiffs, reservedDiffs, poolDiffs, negatives, overReserved, counts] = await Promise.all([
    db.query<{ item: string; location: string; lot_id: string; ledger: string; balance: string }>(`
      WITH legs AS (
        SELECT item, to_location AS location, coalesce(lot_id, 0) AS lot_id, qty FROM movements WHERE to_location IS NOT NULL
        UNION ALL
        SELECT item, from_location, coalesce(lot_id, 0), -qty FROM movements WHERE from_location IS NOT NULL),
      ledger AS (SELECT item, location, lot_id, sum(qty) AS qty FROM legs GROUP BY item, location, lot_id)
      SELECT coalesce(l.item, b.item) AS item, coalesce(l.location, b.location) AS location, coalesce(l.lot_id, b.lot_id) AS lot_id,
             coalesce(l.qty, 0) AS ledger, coalesce(b.on_hand, 0) AS balance
      FROM ledger l FULL JOIN balances b ON b.item = l.item AND b.location = l.location AND b.lot_id = l.lot_id
      WHERE coalesce(l.qty, 0) <> coalesce(b.on_hand, 0)
      ORDER BY 1, 2, 3`),
    db.query<{ item: string; expected: string; actual: string }>(`
      SELECT p.item, coalesce(r.qty, 0) AS expected, p.reserved AS actual
      FROM item_positions p
      LEFT JOIN (SELECT item, sum(qty - consumed) AS qty FROM reservations WHERE status IN ('active', 'committed') GROUP BY item) r ON r.item = p.item
      WHERE coalesce(r.qty, 0) <> p.reserved ORDER BY 1`),
    db.query<{ item: string; channel: string; expected: string; actual: string }>(`
      SELECT c.item, c.channel, coalesce(r.qty, 0) AS expected, c.used AS actual
      FROM channel_pools c
      LEFT JOIN (SELECT item, channel, sum(least(from_pool, qty - consumed)) AS qty FROM reservations WHERE status IN ('active', 'committed') GROUP BY item, channel) r
        ON r.item = c.item AND r.channel = c.channel
      WHERE coalesce(r.qty, 0) <> c.used ORDER BY 1, 2`),
    db.query<{ item: string; location: string; lot_id: string; on_hand: string }>(`
      SELECT b.item, b.location, b.lot_id, b.on_hand FROM balances b JOIN items i ON i.sku = b.item
      WHERE b.on_hand < 0 AND NOT i.allow_negative ORDER BY 1, 2, 3`),
    // expected: at least the reserved quantity on hand; actual: what is on hand
    db.query<{ item: string; reserved: string; on_hand: string }>(`
      SELECT p.item, p.reserved, coalesce(b.on_hand, 0) AS on_hand
      FROM item_positions p LEFT JOIN (SELECT item, sum(on_hand) AS on_hand FROM balances GROUP BY item) b ON b.item = p.item
      WHERE p.reserved > 0 AND coalesce(b.on_hand, 0) < p.reserved ORDER BY 1`),
    db.query<{ balances: number; movements: number; items: number }>(`
      SELECT (SELECT count(*)::int FROM balances) AS balances, (SELECT count(*)::int FROM movements) AS movements,
             (SELECT count(*)::int FROM items) AS items`),
  ]);
  const differences: VerifyDifference[] = [
    ...balanceDiffs.map((d) => ({ check: 'balance' as const, item: d.item, location: d.location, lotId: Number(d.lot_id), expected: num(d.ledger), actual: num(d.balance) })),
    ...reservedDiffs.map((d) => ({ check: 'reserved' as const, item: d.item, expected: num(d.expected), actual: num(d.actual) })),
    ...poolDiffs.map((d) => ({ check: 'pool' as const, item: d.item, channel: d.channel, expected: num(d.expected), actual: num(d.actual) })),
    ...negatives.map((d) => ({ check: 'negative' as const, item: d.item, location: d.location, lotId: Number(d.lot_id), expected: 0, actual: num(d.on_hand) })),
    ...overReserved.map((d) => ({ check: 'over_reserved' as const, item: d.item, expected: num(d.reserved), actual: num(d.on_hand) })),
  ];
  return { ok: differences.length === 0, checked: counts[0]!, differences };
}
