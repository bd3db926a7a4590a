import type { Queryable } from '../../db/engine.ts';
import type { JobContext, JobNotify, JobResult } from '../../jobs/job.ts';
import { num } from '../../inventory/model.ts';
import { buildDigests, type DigestLot } from './digest.ts';

// The expiry sweep for one day D (the UTC date its period starts on):
//   available lot, expires within its item's alert days (expires_on ≤ D + days) → near_expiry
//   available / near_expiry lot, expires_on < D                                  → expired
// Quarantined and rejected lots are QA's and are left alone. Every change is written to
// lot_status_history and raises an alert (lots with stock on hand only); then one digest per
// role lists the near-expiry and expired lots still in stock. Idempotent for D: statuses only
// move forward, alert ids are per lot and status, the digest is keyed by (day, role).

/** alert days for items that do not set expiry_alert_days */
export const DEFAULT_ALERT_DAYS = 3;
export const SWEEP_ACTOR = 'job:expiry-sweep';

interface Candidate { id: string; item: string; code: string; status: string; expires_on: string; to_status: 'near_expiry' | 'expired'; on_hand: string; location: string | null; unit: string; alert_days: number }

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

export async function sweepExpiry(ctx: JobContext): Promise<JobResult> {
  const day = dayOf(ctx.period.from);
  const items = await ctx.db.query<{ item: string }>(
    `SELECT DISTINCT l.item FROM lots l JOIN items i ON i.sku = l.item
     WHERE ${DUE} ORDER BY l.item`, [day, DEFAULT_ALERT_DAYS]);
  const counts = { lots_near_expiry: 0, lots_expired: 0, alerts_raised: 0, digests: 0 };
  for (const [n, { item }] of items.entries()) {
    const r = await ctx.db.tx((q) => sweepItem(q, item, day, ctx.now, ctx.notify));
    counts.lots_near_expiry += r.nearExpiry;
    counts.lots_expired += r.expired;
    counts.alerts_raised += r.alerts;
    ctx.progress(n + 1, items.length);
  }
  counts.digests = await ctx.db.tx((q) => writeDigests(q, day, ctx.notify));
  if (ctx.notify && (counts.alerts_raised || counts.digests)) ctx.notify.kick();
  return counts;
}

/** lots whose status the sweep of day $1 moves ($2 = default alert days) */
const DUE = `l.expires_on IS NOT NULL AND (
  (l.status IN ('available', 'near_expiry') AND l.expires_on < $1::date)
  OR (l.status = 'available' AND l.expires_on <= $1::date + coalesce(i.expiry_alert_days, $2::int)))`;

async function sweepItem(q: Queryable, item: string, day: string, now: Date, notify?: JobNotify) {
  // the item row lock orders the change against reservations that count these lots as sellable
  await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [item]);
  const lots = await q.query<Candidate>(
    `SELECT l.id, l.item, l.code, l.status, l.expires_on::text AS expires_on, i.unit,
            coalesce(i.expiry_alert_days, $2::int) AS alert_days,
            CASE WHEN l.expires_on < $1::date THEN 'expired' ELSE 'near_expiry' END AS to_status,
            coalesce((SELECT sum(on_hand) FROM balances b WHERE b.lot_id = l.id), 0) AS on_hand,
            (SELECT b.location FROM balances b WHERE b.lot_id = l.id AND b.on_hand > 0 ORDER BY b.on_hand DESC, b.location LIMIT 1) AS location
     FROM lots l JOIN items i ON i.sku = l.item
     WHERE l.item = $3 AND ${DUE} ORDER BY l.expires_on, l.code FOR UPDATE OF l`, [day, DEFAULT_ALERT_DAYS, item]);
  let nearExpiry = 0, expired = 0, alerts = 0;
  for (const l of lots) {
    await q.query('UPDATE lots SET status = $2 WHERE id = $1', [l.id, l.to_status]);
    const reason = l.to_status === 'expired'
      ? `expired on ${l.expires_on} (expiry sweep of ${day})`
      : `expires on ${l.expires_on}, within ${l.alert_days} alert days (expiry sweep of ${day})`;
    await q.query('INSERT INTO lot_status_history (lot_id, from_status, to_status, actor, reason, at) VALUES ($1,$2,$3,$4,$5,$6)',
      [l.id, l.status, l.to_status, SWEEP_ACTOR, reason, now]);
    if (l.to_status === 'expired') expired++; else nearExpiry++;
    if (num(l.on_hand) > 0) alerts += await raiseLotAlert(q, l, now, notify);
  }
  return { nearExpiry, expired, alerts };
}

/** one alert per lot and status (id lot:ID:STATUS), like the edge's alerts: raised once */
async function raiseLotAlert(q: Queryable, l: Candidate, now: Date, notify?: JobNotify): Promise<number> {
  const id = `lot:${l.id}:${l.to_status}`;
  const expired = l.to_status === 'expired';
  const zone = l.location ?? 'inventory';
  const message = expired
    ? `Lot ${l.code} of ${l.item} expired on ${l.expires_on}: ${num(l.on_hand)} ${l.unit} blocked (not sellable, not pickable)`
    : `Lot ${l.code} of ${l.item} expires on ${l.expires_on}: ${num(l.on_hand)} ${l.unit} to sell or use first`;
  const inserted = await q.query(
    `INSERT INTO alerts (id, gateway, zone, rule, severity, state, since, raised_at, value, message)
     VALUES ($1, 'cloud', $2, $3, $4, 'active', $5, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING 1`,
    [id, zone, expired ? 'lot_expired' : 'lot_near_expiry', expired ? 'critical' : 'warning', now, num(l.on_hand), message]);
  if (!inserted.length) return 0;
  // an expired lot's near-expiry warning is over: the critical alert replaces it
  if (expired) await q.query(`UPDATE alerts SET state = 'cleared', cleared_at = $2 WHERE id = $1 AND state = 'active'`, [`lot:${l.id}:near_expiry`, now]);
  for (const t of notify?.targets ?? []) {
    const payload = {
      type: 'stockpulse.alert', transition: 'raised',
      alert: { id, rule: expired ? 'lot_expired' : 'lot_near_expiry', severity: expired ? 'critical' : 'warning', zone, sensor: null, gateway: 'cloud',
        message, value: num(l.on_hand), threshold: null, since: now.toISOString(), at: now.toISOString(),
        lot: { id: Number(l.id), code: l.code, item: l.item, expiresOn: l.expires_on } },
      ...(t.channel === 'mqtt' ? { topic: `stockpulse/v1/alerts/${zone}` } : {}),
    };
    await q.query(
      `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload) VALUES ($1, 'raised', $2, $3, $4::jsonb)
       ON CONFLICT DO NOTHING`, [id, t.channel, t.target, JSON.stringify(payload)]);
  }
  return 1;
}

/** the day's digest per role over every near-expiry / expired lot still in stock */
async function writeDigests(q: Queryable, day: string, notify?: JobNotify): Promise<number> {
  const rows = await q.query<{ item: string; name: string; unit: string; code: string; status: 'near_expiry' | 'expired'; expires_on: string; on_hand: string; locations: string }>(
    `SELECT l.item, i.name, i.unit, l.code, l.status, l.expires_on::text AS expires_on, sum(b.on_hand) AS on_hand,
            string_agg(b.location, ',' ORDER BY b.location) AS locations
     FROM lots l JOIN items i ON i.sku = l.item JOIN balances b ON b.lot_id = l.id AND b.on_hand > 0
     WHERE l.status IN ('near_expiry', 'expired')
     GROUP BY l.item, i.name, i.unit, l.code, l.status, l.expires_on ORDER BY l.expires_on, l.item, l.code`);
  if (!rows.length) return 0;
  const lots: DigestLot[] = rows.map((r) => ({
    item: r.item, name: r.name, unit: r.unit, lot: r.code, status: r.status, expiresOn: r.expires_on, onHand: num(r.on_hand), locations: r.locations.split(','),
  }));
  let written = 0;
  for (const d of buildDigests(day, lots)) {
    const ins = await q.query('INSERT INTO expiry_digests (day, role, lots) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING RETURNING 1',
      [day, d.role, JSON.stringify(d)]);
    if (!ins.length) continue;
    written++;
    for (const t of notify?.targets ?? []) {
      await q.query(
        `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload) VALUES ($1, 'digest', $2, $3, $4::jsonb)
         ON CONFLICT DO NOTHING`,
        [`expiry-digest:${day}:${d.role}`, t.channel, t.target,
          JSON.stringify({ ...d, ...(t.channel === 'mqtt' ? { topic: `stockpulse/v1/digests/${d.role}` } : {}) })]);
    }
  }
  return written;
}
