import type { Queryable } from '../../db/engine.ts';
import { num } from '../../inventory/model.ts';

// A lot's location history, read from the ledger: movements put quantities of the lot into and
// out of locations; a bin belongs to its parent zone location, a zone location points at the
// IoT zone whose sensors watch it. The lot is "in" a zone from the movement that brings its
// quantity there above zero to the one that takes it back to zero. Replayed in ledger order
// (at, id), so back-dated movements land where they belong.

export interface Presence {
  lotId: number;
  /** the zone location (site → zone → bin tree) */
  location: string;
  /** the IoT zone whose readings apply (null: nobody measures that location) */
  iotZone: string | null;
  from: number;
  /** null while the lot is still there */
  to: number | null;
}

export interface LotFacts {
  id: number; item: string; code: string; status: string; profile: string | null;
  /** temp_low / temp_high of each zone location the lot visited, for the zone-range fallback */
  zoneRange: Map<string, { low: number | null; high: number | null }>;
  presence: Presence[];
}

interface MoveRow {
  lot_id: string | number; at: Date; qty: string;
  from_zone: string | null; from_iot: string | null; to_zone: string | null; to_iot: string | null;
}

// bin → its parent zone; a zone location is its own zone; a site holds no temperature
const ZONE_OF = (side: 'from' | 'to', alias: string) => `
  LEFT JOIN locations ${alias}l ON ${alias}l.id = m.${side}_location
  LEFT JOIN locations ${alias}z ON ${alias}z.id = CASE ${alias}l.kind WHEN 'bin' THEN ${alias}l.parent WHEN 'zone' THEN ${alias}l.id END`;

/** location histories of the given lots (all lots with movements when `lotIds` is undefined) */
export async function loadLotFacts(q: Queryable, lotIds?: number[]): Promise<LotFacts[]> {
  const lots = await q.query<{ id: string | number; item: string; code: string; status: string; storage_profile: string | null }>(
    `SELECT l.id, l.item, l.code, l.status, i.storage_profile FROM lots l JOIN items i ON i.sku = l.item
     WHERE ($1::bigint[] IS NULL OR l.id = ANY($1::bigint[])) ORDER BY l.id`, [lotIds ?? null]);
  const moves = await q.query<MoveRow>(
    `SELECT m.lot_id, m.at, m.qty, fz.id AS from_zone, fz.iot_zone AS from_iot, tz.id AS to_zone, tz.iot_zone AS to_iot
     FROM movements m ${ZONE_OF('from', 'f')} ${ZONE_OF('to', 't')}
     WHERE m.lot_id IS NOT NULL AND ($1::bigint[] IS NULL OR m.lot_id = ANY($1::bigint[]))
     ORDER BY m.lot_id, m.at, m.id`, [lotIds ?? null]);
  const ranges = await q.query<{ id: string; temp_low: number | null; temp_high: number | null }>(
    "SELECT id, temp_low, temp_high FROM locations WHERE kind = 'zone'");
  const rangeOf = new Map(ranges.map((r) => [r.id, { low: r.temp_low, high: r.temp_high }]));

  const byLot = new Map<number, MoveRow[]>();
  for (const m of moves) {
    const id = Number(m.lot_id);
    (byLot.get(id) ?? byLot.set(id, []).get(id)!).push(m);
  }
  return lots.map((l) => {
    const id = Number(l.id);
    const presence = replay(id, byLot.get(id) ?? []);
    const zoneRange = new Map(presence.map((p) => [p.location, rangeOf.get(p.location) ?? { low: null, high: null }]));
    return { id, item: l.item, code: l.code, status: l.status, profile: l.storage_profile, zoneRange, presence };
  });
}

function replay(lotId: number, moves: MoveRow[]): Presence[] {
  const qty = new Map<string, number>();
  const open = new Map<string, Presence>();
  const out: Presence[] = [];
  const bump = (zone: string | null, iot: string | null, delta: number, at: number) => {
    if (!zone) return;
    const before = qty.get(zone) ?? 0;
    // quantities are decimals with ≤ 6 places: compare in micro-units, free of float noise
    const after = Math.round((before + delta) * 1e6) / 1e6;
    qty.set(zone, after);
    if (before <= 0 && after > 0) {
      const p: Presence = { lotId, location: zone, iotZone: iot, from: at, to: null };
      open.set(zone, p);
      out.push(p);
    } else if (before > 0 && after <= 0) {
      open.get(zone)!.to = at;
      open.delete(zone);
    }
  };
  for (const m of moves) {
    const at = new Date(m.at).getTime();
    const q = num(m.qty);
    // a transfer between two bins of one zone changes nothing for that zone
    if (m.from_zone && m.from_zone === m.to_zone) continue;
    bump(m.from_zone, m.from_iot, -q, at);
    bump(m.to_zone, m.to_iot, q, at);
  }
  return out;
}

/** the presence intervals clipped to [from, to) (open intervals end at `to`) */
export function clip(p: Presence, from: number, to: number): { from: number; to: number } | null {
  const a = Math.max(p.from, from);
  const b = Math.min(p.to ?? to, to);
  return b > a ? { from: a, to: b } : null;
}
