import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import type { Queryable } from '../db/engine.ts';

// Count drift: what a scale weighs in a bin vs what the ledger says the bin holds ("system 100,
// shelf 85"). Computed in the cloud, not on the edge: the ledger balance of a bin changes
// through things the gateway never sees (a goods receipt put away by hand, a transfer, a
// correction posted by a person, another device), and it is only consistent inside the
// transaction that posts movements. Ingest (cloud/ingest/store-movements.ts) translates each
// weighed device event into a Weighing and calls this right after posting the event's own
// movement, in the same transaction.
//
// Beyond the tolerance — the larger of the scale's own change tolerance and driftPct
// (STOCKPULSE_COUNT_DRIFT_PCT, cloud/config.ts; default 2 %) of the ledger quantity — a
// `count_drift` alert is raised (once); it is cleared when a later weighing agrees with the ledger again.

/** stores an alert (raised or cleared) and returns the notification deliveries it created */
export type RaiseAlert = (a: AlertEvent) => Promise<number>;

/** one weighing of one item in one bin, in the ledger's terms */
export interface Weighing {
  gateway: string;
  /** the scale */
  device: string;
  /** the IoT zone the scale reports under (the alert's zone) */
  zone: string;
  /** SKU and bin (location id), already resolved */
  item: string;
  location: string;
  weighed: number;
  /** the scale's own tolerance, in the same unit; 0 when it gave none */
  tolerance: number;
  unit: string;
  /** ms since epoch, when it was weighed */
  at: number;
}

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);

export async function checkCountDrift(q: Queryable, w: Weighing, raise: RaiseAlert, driftPct: number): Promise<number> {
  const [prev] = await q.query<{ drift_alert_id: string | null; weighed_at: Date }>(
    'SELECT drift_alert_id, weighed_at FROM bin_weighings WHERE location = $1 AND item = $2', [w.location, w.item]);
  if (prev && new Date(prev.weighed_at).getTime() > w.at) return 0; // an older weighing arriving late says nothing new
  const [b] = await q.query<{ qty: string }>('SELECT coalesce(sum(on_hand), 0) AS qty FROM balances WHERE item = $1 AND location = $2', [w.item, w.location]);
  const ledger = Number(b!.qty);
  const tolerance = Math.max(w.tolerance, Math.abs(ledger) * driftPct / 100);
  const drifting = Math.abs(w.weighed - ledger) > tolerance + 1e-9;
  let alertId = prev?.drift_alert_id ?? null;
  let deliveries = 0;
  const base = { rule: 'count_drift' as const, zone: w.zone, sensor: w.device, severity: 'warning' as const, ts: w.at, value: w.weighed, threshold: ledger };
  if (drifting && !alertId) {
    alertId = `${w.gateway}:count_drift:${w.location}:${w.item}:${w.at}`;
    deliveries += await raise({ ...base, id: alertId, transition: 'raised', since: w.at,
      message: `Count drift at ${w.location} (${w.item}): system ${fmt(ledger)}, shelf ${fmt(w.weighed)} ${w.unit} (tolerance ${fmt(tolerance)})` });
  } else if (!drifting && alertId) {
    deliveries += await raise({ ...base, id: alertId, transition: 'cleared', since: w.at,
      message: `Count at ${w.location} (${w.item}) agrees with the ledger again: system ${fmt(ledger)}, shelf ${fmt(w.weighed)} ${w.unit}` });
    alertId = null;
  }
  await q.query(
    `INSERT INTO bin_weighings (location, item, gateway, device, zone, weighed_qty, ledger_qty, tolerance_qty, unit, weighed_at, drift_alert_id)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,to_timestamp($10 / 1000.0),$11)
     ON CONFLICT (location, item) DO UPDATE SET gateway = $3, device = $4, zone = $5, weighed_qty = $6, ledger_qty = $7, tolerance_qty = $8,
       unit = $9, weighed_at = excluded.weighed_at, drift_alert_id = $11`,
    [w.location, w.item, w.gateway, w.device, w.zone, w.weighed, ledger, tolerance, w.unit, w.at, alertId]);
  return deliveries;
}
