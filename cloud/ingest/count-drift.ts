import type { MovementEvent } from '../../protocols/uplink/contract.ts';
import type { Queryable } from '../db/engine.ts';
import type { RaiseAlert } from './store-movements.ts';

// Count drift: what a scale weighs in a bin vs what the ledger says the bin holds ("system 100,
// shelf 85"). Computed here, in the cloud, not on the edge: the ledger balance of a bin changes
// through things the gateway never sees (a goods receipt put away by hand, a transfer, a
// correction posted by a person, another device), and it is only consistent inside the
// transaction that posts movements. The edge knows the weight and sends it with every
// consumption / refill (evidence.weighedQuantity) and, when configured, as `count` events; the
// check runs right after the event's own movement is posted, in the same transaction.
//
// Beyond the tolerance — the larger of the scale's own change tolerance (evidence.toleranceQuantity)
// and driftPct (STOCKPULSE_COUNT_DRIFT_PCT, cloud/config.ts; default 2 %) of the ledger quantity — a
// `count_drift` alert is raised (once); it is cleared when a later weighing agrees with the ledger again.

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);

export async function checkCountDrift(q: Queryable, c: { gateway: string; event: MovementEvent; item: string; location: string }, raise: RaiseAlert, driftPct: number): Promise<number> {
  const e = c.event;
  const weighed = e.type === 'count' ? e.quantity : typeof e.evidence.weighedQuantity === 'number' ? e.evidence.weighedQuantity : undefined;
  if (weighed === undefined) return 0;
  const [prev] = await q.query<{ drift_alert_id: string | null; weighed_at: Date }>(
    'SELECT drift_alert_id, weighed_at FROM bin_weighings WHERE location = $1 AND item = $2', [c.location, c.item]);
  if (prev && new Date(prev.weighed_at).getTime() > e.ts) return 0; // an older weighing arriving late says nothing new
  const [b] = await q.query<{ qty: string }>('SELECT coalesce(sum(on_hand), 0) AS qty FROM balances WHERE item = $1 AND location = $2', [c.item, c.location]);
  const ledger = Number(b!.qty);
  const tolerance = Math.max(typeof e.evidence.toleranceQuantity === 'number' ? e.evidence.toleranceQuantity : 0, Math.abs(ledger) * driftPct / 100);
  const drifting = Math.abs(weighed - ledger) > tolerance + 1e-9;
  let alertId = prev?.drift_alert_id ?? null;
  let deliveries = 0;
  const base = { rule: 'count_drift' as const, zone: e.location.zone, sensor: e.source.device, severity: 'warning' as const, ts: e.ts, value: weighed, threshold: ledger };
  if (drifting && !alertId) {
    alertId = `${c.gateway}:count_drift:${c.location}:${c.item}:${e.ts}`;
    deliveries += await raise({ ...base, id: alertId, transition: 'raised', since: e.ts,
      message: `Count drift at ${c.location} (${c.item}): system ${fmt(ledger)}, shelf ${fmt(weighed)} ${e.unit} (tolerance ${fmt(tolerance)})` });
  } else if (!drifting && alertId) {
    deliveries += await raise({ ...base, id: alertId, transition: 'cleared', since: e.ts,
      message: `Count at ${c.location} (${c.item}) agrees with the ledger again: system ${fmt(ledger)}, shelf ${fmt(weighed)} ${e.unit}` });
    alertId = null;
  }
  await q.query(
    `INSERT INTO bin_weighings (location, item, gateway, device, zone, weighed_qty, ledger_qty, tolerance_qty, unit, weighed_at, drift_alert_id)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,to_timestamp($10 / 1000.0),$11)
     ON CONFLICT (location, item) DO UPDATE SET gateway = $3, device = $4, zone = $5, weighed_qty = $6, ledger_qty = $7, tolerance_qty = $8,
       unit = $9, weighed_at = excluded.weighed_at, drift_alert_id = $11`,
    [c.location, c.item, c.gateway, e.source.device, e.location.zone, weighed, ledger, tolerance, e.unit, e.ts, alertId]);
  return deliveries;
}
