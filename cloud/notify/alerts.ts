import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import type { Queryable } from '../db/engine.ts';
import type { NotificationTarget } from './targets.ts';
import { attachParams, closeFinishedIncidents, closeFinishedSql, raiseCtes, raiseParams } from './incidents.ts';
import { asDue, attachAndQueue, deliveryParams, queueCtes, queueTargetDeliveries, type DueDelivery } from './deliveries.ts';

// The one writer of alert rows (tests/architecture/writers.test.ts holds it): whoever raises an
// alert — a gateway's transition stored by the ingest, or the cloud's own rules (expiry sweep,
// cold-chain quarantine, replenishment's low stock, refusals, a stalled uplink) — stores it here,
// and here the same three steps follow in the caller's transaction: the alert row, its incident
// (incidents.ts), and its deliveries to the configured targets (deliveries.ts, built from the
// alert as stored). So the alert list, acknowledge, routing, escalation and every receiver treat
// an alert alike whoever raised it.

type Targets = readonly { channel: string; target: string }[];

/**
 * Stores one alert transition from a gateway, gives the alert its incident, closes the incident
 * when this was its last active alert, and queues the transition for the configured targets.
 * Replayable: a raise stored before changes nothing; a clear naming another gateway's alert
 * changes nothing and tells nobody. Returns the deliveries created; with leaseTo they are created
 * leased and pushed there, for the dispatcher's direct path (deliveries.ts queueTargetDeliveries).
 */
export async function storeAlert(q: Queryable, gateway: string, a: AlertEvent, targets: readonly NotificationTarget[], leaseTo?: DueDelivery[]): Promise<number> {
  const cleared = a.transition === 'cleared';
  const now = new Date(a.ts);
  // a new raise, the alarm's own path: the row, its incident and its deliveries in one statement;
  // what that statement leaves (a replay, the rare incident cases) goes the two-statement way below
  if (!cleared) {
    const raised = await raiseInOne(q, gateway, a, targets, now, leaseTo);
    if (raised !== null) return raised;
  }
  // A clear closes its incident when it was the incident's last active alert, in the same
  // statement (the alarm path's round trips, issue #12): the NOT EXISTS reads the alerts as
  // before this clear, so it leaves this alert out. A clear naming another gateway's alert
  // updates nothing, so closes nothing. An alert first seen cleared has no incident yet:
  // attachAndQueue opens it closed.
  await q.query(
    `WITH up AS (
       INSERT INTO alerts (id, gateway, zone, sensor, rule, severity, state, since, raised_at, cleared_at, value, threshold, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), to_timestamp($9 / 1000.0), $10, $11, $12, $13)
       ON CONFLICT (id) DO ${cleared ? `UPDATE SET state = 'cleared', cleared_at = excluded.cleared_at WHERE alerts.gateway = excluded.gateway` : 'NOTHING'}
       RETURNING id, incident_id)
     ${cleared ? closeFinishedSql('i.id = up.incident_id', '$14', { from: 'up', except: 'up.id' }) : 'SELECT 1'}`,
    [a.id, gateway, a.zone, a.sensor ?? null, a.rule, a.severity, cleared ? 'cleared' : 'active', a.since,
      cleared ? a.since : a.ts, cleared ? now : null, a.value ?? null, a.threshold ?? null, a.message, ...(cleared ? [now] : [])],
  );
  return attachAndQueue(q, a.id, a.transition, targets, { now, gateway, leaseTo });
}

/**
 * A gateway's raise in ONE statement (the alarm path, issue #12: a round trip fewer than the row,
 * then its incident and deliveries): the incident chosen from the alert as sent (incidents.ts
 * raiseCtes: $1..$5, the alert from $13), the row inserted with it, and its deliveries to every
 * config target (deliveries.ts queueCtes, $6..$12). One row per delivery created (or one with no
 * delivery columns), each saying whether the alert went in.
 */
const RAISE_SQL = `
  WITH ${raiseCtes(13)},
  a AS (
    INSERT INTO alerts (id, gateway, zone, sensor, rule, severity, state, since, raised_at, value, threshold, message, incident_id, acked_at, acked_by, ack_note)
    SELECT v.id, v.gateway, v.zone, v.sensor, v.rule, v.severity, v.state, v.since, v.raised_at, v.value, v.threshold, v.message, c.id,
           CASE WHEN c.with_ack THEN $2::timestamptz END, CASE WHEN c.with_ack THEN c.acked_by END,
           CASE WHEN c.with_ack THEN 'acknowledged with incident ' || c.id END
    FROM v, chosen c
    ON CONFLICT (id) DO NOTHING
    RETURNING id, gateway, zone, sensor, rule, severity, state, since, raised_at, cleared_at, value, threshold, message, incident_id),
  ${queueCtes(6)}
  SELECT (SELECT id FROM a) IS NOT NULL AS raised, EXISTS (SELECT 1 FROM chosen) AS chosen, ins.* FROM (SELECT 1) one LEFT JOIN ins ON true`;

/**
 * Stores a gateway's new `raised` transition with its incident and queues it, in one statement.
 * Returns the deliveries created, or null when it stored nothing and storeAlert goes the
 * two-statement way: the id is stored already (a replay), or its incident is a case
 * attachStepwise decides. Throws AlertIdRace when another transaction stored the same id after
 * the statement's snapshot (its INSERT met that row): the incident it chose may have been
 * opened or made more severe for an alert that did not go in.
 */
async function raiseInOne(q: Queryable, gateway: string, a: AlertEvent, targets: Targets, now: Date, leaseTo?: DueDelivery[]): Promise<number | null> {
  const rows = await q.query<{ raised: boolean; chosen: boolean } & Partial<DueDelivery>>(RAISE_SQL,
    [...attachParams(a.id, now), ...deliveryParams('raised', targets, { gateway, leaseTo }), ...raiseParams(a, gateway)]);
  const [first] = rows;
  if (!first?.raised) {
    if (first?.chosen) throw new AlertIdRace(a.id);
    return null;
  }
  const created = rows.filter((r) => r.id != null).map(asDue);
  leaseTo?.push(...created);
  return created.length;
}

/**
 * The same alert id stored by another transaction while this one raised it: a unique race
 * (SQLSTATE 23505), so the caller rolls back whatever the statement did to the incident and
 * retries (store-fault.ts: retryable; the ingest leaves the batch unacked and the edge resends
 * it), and the retry finds the alert stored.
 */
export class AlertIdRace extends Error {
  readonly code = '23505';
  constructor(id: string) {
    super(`alert ${JSON.stringify(id)} was stored by another transaction while this one raised it; roll back and retry`);
  }
}

/** An alert raised by the cloud's own rules (gateway 'cloud'), not by a gateway. */
export interface CloudAlert {
  /** stable per fact, e.g. lot:42:quarantined — the idempotency key */
  id: string;
  zone: string;
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  value: number | null;
  /** the limit the value crossed, when there is one (low stock: the reorder point) */
  threshold?: number | null;
  message: string;
  /** extra fields for the notification payload (the lot, its evidence) */
  extra?: Record<string, unknown>;
}

/**
 * Inserts the cloud alerts not raised before (raised once per id: a re-run changes nothing),
 * gives each its incident and queues it for the configured targets. Returns those raised now.
 */
export async function raiseCloudAlerts(q: Queryable, alerts: readonly CloudAlert[], now: Date, notify?: { targets: Targets }): Promise<CloudAlert[]> {
  if (!alerts.length) return [];
  const inserted = new Set((await q.query<{ id: string }>(
    `INSERT INTO alerts (id, gateway, zone, rule, severity, state, since, raised_at, value, threshold, message)
     SELECT a.id, 'cloud', a.zone, a.rule, a.severity, 'active', $6, $6, a.value, a.threshold, a.message
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $7::text[], $8::float8[]) AS a(id, zone, rule, severity, value, message, threshold)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [alerts.map((a) => a.id), alerts.map((a) => a.zone), alerts.map((a) => a.rule), alerts.map((a) => a.severity),
      alerts.map((a) => a.value), now, alerts.map((a) => a.message), alerts.map((a) => a.threshold ?? null)])).map((r) => r.id));
  const raised = alerts.filter((a) => inserted.has(a.id));
  for (const a of raised) {
    // a refusal is the refused gateway's trouble (incidents.ts): its key names that gateway
    const gw = a.rule === 'gateway_refused' && typeof a.extra?.gateway === 'string' ? a.extra.gateway : null;
    await attachAndQueue(q, a.id, 'raised', notify?.targets ?? [], { now, refusedGateway: gw, extra: a.extra });
  }
  return raised;
}

export interface ClearNotice {
  targets: Targets;
  /** extra fields for the `cleared` payload of each alert (e.g. a message saying why it cleared) */
  extra?: (a: { id: string; message: string }) => Record<string, unknown>;
}

/**
 * Clears active cloud alerts by id (the fact is over: a lot released, rejected, or expired past
 * its warning; stock back above its reorder point), closes the incidents left with no active
 * alert and, when asked (`notice`), queues the `cleared` transition for the targets. Returns the
 * ids cleared now.
 */
export async function clearCloudAlerts(q: Queryable, ids: readonly string[], now: Date, notice?: ClearNotice): Promise<string[]> {
  if (!ids.length) return [];
  const cleared = await q.query<{ id: string; message: string }>(
    `UPDATE alerts SET state = 'cleared', cleared_at = $2 WHERE id = ANY($1::text[]) AND state = 'active' RETURNING id, message`, [ids, now]);
  await closeFinishedIncidents(q, now, cleared.map((r) => r.id));
  for (const a of notice ? cleared : []) {
    await queueTargetDeliveries(q, a.id, 'cleared', notice!.targets, { extra: notice!.extra?.(a) });
  }
  return cleared.map((r) => r.id);
}

/** clears the active cloud alerts whose id starts with `prefix` (every quarantine alert of a lot) */
export async function clearCloudAlertsStartingWith(q: Queryable, prefix: string, now: Date): Promise<void> {
  const cleared = await q.query<{ id: string }>(`UPDATE alerts SET state = 'cleared', cleared_at = $2 WHERE gateway = 'cloud' AND left(id, length($1)) = $1 AND state = 'active' RETURNING id`, [prefix, now]);
  await closeFinishedIncidents(q, now, cleared.map((r) => r.id));
}
