import type { Queryable } from '../../db/engine.ts';
import type { JobContext, JobNotify, JobResult } from '../../jobs/job.ts';
import { num } from '../../inventory/model.ts';
import { DIGEST_ROLES, buildDigests, type DigestLot } from './digest.ts';
import { clearCloudAlerts, raiseCloudAlerts, type CloudAlert } from '../../notify/alerts.ts';
import { queueDigestDeliveries } from '../../notify/deliveries.ts';
import { queueDigestForContacts } from './digest-delivery.ts';

// The expiry sweep for one day D (the UTC date its period starts on):
//   available lot, expires within its item's alert days (expires_on ≤ D + days) → near_expiry
//   available / near_expiry lot, expires_on < D                                  → expired
// Quarantined and rejected lots are QA's and are left alone. Every change is written to
// lot_status_history and raises an alert (lots with stock on hand only); then one digest per
// role lists the near-expiry and expired lots still in stock: to the config targets as a machine
// payload, and to each active contact of that role in their language (digest-delivery.ts).
// Idempotent for D: statuses only move forward, alert ids are per lot and status, the digest is
// keyed by (day, role).

/** alert days for items that do not set expiry_alert_days */
export const DEFAULT_ALERT_DAYS = 3;
export const SWEEP_ACTOR = 'job:expiry-sweep';

interface Candidate { id: string; item: string; code: string; status: string; expires_on: string; to_status: 'near_expiry' | 'expired'; on_hand: string; location: string | null; unit: string; alert_days: number }

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** items per transaction: their rows stay locked (against reservations) only that long */
const BATCH_ITEMS = 200;

export async function sweepExpiry(ctx: JobContext): Promise<JobResult> {
  const day = dayOf(ctx.period.from);
  const items = (await ctx.db.query<{ item: string }>(
    `SELECT DISTINCT l.item FROM lots l JOIN items i ON i.sku = l.item
     WHERE ${DUE} ORDER BY l.item`, [day, DEFAULT_ALERT_DAYS])).map((r) => r.item);
  const counts = { lots_near_expiry: 0, lots_expired: 0, alerts_raised: 0, digests: 0 };
  for (let i = 0; i < items.length; i += BATCH_ITEMS) {
    const batch = items.slice(i, i + BATCH_ITEMS);
    const r = await ctx.db.tx((q) => sweepItems(q, batch, day, ctx.now, ctx.notify));
    counts.lots_near_expiry += r.nearExpiry;
    counts.lots_expired += r.expired;
    counts.alerts_raised += r.alerts;
    ctx.progress(i + batch.length, items.length);
  }
  counts.digests = await ctx.db.tx((q) => writeDigests(q, day, ctx.now, ctx.notify));
  if (ctx.notify && (counts.alerts_raised || counts.digests)) ctx.notify.kick();
  return counts;
}

/** lots whose status the sweep of day $1 moves ($2 = default alert days) */
const DUE = `l.expires_on IS NOT NULL AND (
  (l.status IN ('available', 'near_expiry') AND l.expires_on < $1::date)
  OR (l.status = 'available' AND l.expires_on <= $1::date + coalesce(i.expiry_alert_days, $2::int)))`;

/** one transaction over a batch of items, set-based: a few statements however many lots move */
async function sweepItems(q: Queryable, items: string[], day: string, now: Date, notify?: JobNotify) {
  // the item rows first, in a fixed order (no deadlock with a concurrent batch or sales order):
  // the status change is then ordered against reservations that count these lots as sellable
  await q.query('SELECT item FROM item_positions WHERE item = ANY($1::text[]) ORDER BY item FOR UPDATE', [items]);
  const moved = await q.query<Candidate>(
    `WITH due AS (
       SELECT l.id, l.item, l.code, l.status, l.expires_on, i.unit, coalesce(i.expiry_alert_days, $2::int) AS alert_days,
              CASE WHEN l.expires_on < $1::date THEN 'expired' ELSE 'near_expiry' END AS to_status
       FROM lots l JOIN items i ON i.sku = l.item
       WHERE l.item = ANY($3::text[]) AND ${DUE} FOR UPDATE OF l),
     upd AS (UPDATE lots SET status = due.to_status FROM due WHERE lots.id = due.id RETURNING lots.id),
     hist AS (
       INSERT INTO lot_status_history (lot_id, from_status, to_status, actor, reason, at)
       SELECT id, status, to_status, $4, CASE WHEN to_status = 'expired'
           THEN 'expired on ' || expires_on::text || ' (expiry sweep of ' || $1 || ')'
           ELSE 'expires on ' || expires_on::text || ', within ' || alert_days || ' alert days (expiry sweep of ' || $1 || ')' END, $5
       FROM due RETURNING 1)
     SELECT due.id, due.item, due.code, due.status, due.expires_on::text AS expires_on, due.unit, due.alert_days, due.to_status,
            coalesce(st.on_hand, 0) AS on_hand, st.location
     FROM due LEFT JOIN LATERAL (
       SELECT sum(b.on_hand) OVER () AS on_hand, b.location FROM balances b
       WHERE b.item = due.item AND b.lot_id = due.id AND b.on_hand > 0 ORDER BY b.on_hand DESC, b.location LIMIT 1) st ON true
     ORDER BY due.item, due.expires_on, due.code`,
    [day, DEFAULT_ALERT_DAYS, items, SWEEP_ACTOR, now]);
  const nearExpiry = moved.filter((l) => l.to_status === 'near_expiry').length;
  const alerts = await raiseLotAlerts(q, moved.filter((l) => num(l.on_hand) > 0), now, notify);
  return { nearExpiry, expired: moved.length - nearExpiry, alerts };
}

/** one alert per lot and status (id lot:ID:STATUS), like the edge's alerts: raised once */
async function raiseLotAlerts(q: Queryable, lots: Candidate[], now: Date, notify?: JobNotify): Promise<number> {
  if (!lots.length) return 0;
  const rows = lots.map((l) => {
    const expired = l.to_status === 'expired';
    const zone = l.location ?? 'inventory';
    const message = expired
      ? `Lot ${l.code} of ${l.item} expired on ${l.expires_on}: ${num(l.on_hand)} ${l.unit} blocked (not sellable, not pickable)`
      : `Lot ${l.code} of ${l.item} expires on ${l.expires_on}: ${num(l.on_hand)} ${l.unit} to sell or use first`;
    return { id: `lot:${l.id}:${l.to_status}`, l, expired, zone, message, rule: expired ? 'lot_expired' : 'lot_near_expiry', severity: expired ? 'critical' : 'warning' };
  });
  const raised = await raiseCloudAlerts(q, rows.map((r) => ({
    id: r.id, zone: r.zone, rule: r.rule, severity: r.severity as CloudAlert['severity'], value: num(r.l.on_hand), message: r.message,
    extra: { lot: { id: Number(r.l.id), code: r.l.code, item: r.l.item, expiresOn: r.l.expires_on } },
  })), now, notify);
  // an expired lot's near-expiry warning is over: the critical alert replaces it
  await clearCloudAlerts(q, raised.filter((r) => r.rule === 'lot_expired').map((r) => r.id.replace(/:expired$/, ':near_expiry')), now);
  return raised.length;
}

/** the day's digest per role over every near-expiry / expired lot still in stock */
async function writeDigests(q: Queryable, day: string, now: Date, notify?: JobNotify): Promise<number> {
  // a re-run of the day: every role has its digest already, no need to read the lots again
  const [had] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM expiry_digests WHERE day = $1 AND role = ANY($2::text[])',
    [day, Object.keys(DIGEST_ROLES)]);
  if (had!.n === Object.keys(DIGEST_ROLES).length) return 0;
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
    await queueDigestDeliveries(q, `expiry-digest:${day}:${d.role}`, notify?.targets ?? [], d, `stockpulse/v1/digests/${d.role}`);
    await queueDigestForContacts(q, d, now);
  }
  return written;
}
