import type { Queryable } from '../db/engine.ts';
import type { JobNotify } from '../jobs/job.ts';
import { attachIncident, closeFinishedIncidents } from '../notify/incidents.ts';
import { queueTargetDeliveries } from '../notify/deliveries.ts';

// Alerts raised by the cloud's own rules (expiry sweep, cold-chain quarantine), not by a gateway:
// written to the same `alerts` table (gateway 'cloud') so the alert list, acknowledge, routing
// and escalation treat them like any other, raised once per id (a re-run changes nothing), given
// their incident (cloud/notify/incidents.ts) and queued for the cloud's configured notification
// targets in the same transaction (cloud/notify/deliveries.ts, where every delivery is written).

export interface CloudAlert {
  /** stable per fact, e.g. lot:42:quarantined — the idempotency key */
  id: string;
  zone: string;
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  value: number | null;
  message: string;
  /** extra fields for the notification payload (the lot, its evidence) */
  extra?: Record<string, unknown>;
}

/** inserts the alerts not raised before and queues their notifications; returns those raised now */
export async function raiseCloudAlerts(q: Queryable, alerts: readonly CloudAlert[], now: Date, notify?: JobNotify): Promise<CloudAlert[]> {
  if (!alerts.length) return [];
  const inserted = new Set((await q.query<{ id: string }>(
    `INSERT INTO alerts (id, gateway, zone, rule, severity, state, since, raised_at, value, message)
     SELECT a.id, 'cloud', a.zone, a.rule, a.severity, 'active', $6, $6, a.value, a.message
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $7::text[]) AS a(id, zone, rule, severity, value, message)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [alerts.map((a) => a.id), alerts.map((a) => a.zone), alerts.map((a) => a.rule), alerts.map((a) => a.severity),
      alerts.map((a) => a.value), now, alerts.map((a) => a.message)])).map((r) => r.id));
  const raised = alerts.filter((a) => inserted.has(a.id));
  for (const a of raised) {
    // a refusal is the refused gateway's trouble (incidents.ts): its key names that gateway
    const gw = a.rule === 'gateway_refused' && typeof a.extra?.gateway === 'string' ? a.extra.gateway : null;
    await attachIncident(q, a.id, now, { refusedGateway: gw });
    await queueTargetDeliveries(q, a.id, 'raised', notify?.targets ?? [], { extra: a.extra });
  }
  return raised;
}

/** clears cloud alerts by id (the fact is over: a lot released, rejected, or expired past its warning) */
export async function clearCloudAlerts(q: Queryable, ids: readonly string[], now: Date): Promise<void> {
  if (!ids.length) return;
  const cleared = await q.query<{ id: string }>(`UPDATE alerts SET state = 'cleared', cleared_at = $2 WHERE id = ANY($1::text[]) AND state = 'active' RETURNING id`, [ids, now]);
  await closeFinishedIncidents(q, now, cleared.map((r) => r.id));
}

/** clears the active cloud alerts whose id starts with `prefix` (every quarantine alert of a lot) */
export async function clearCloudAlertsStartingWith(q: Queryable, prefix: string, now: Date): Promise<void> {
  const cleared = await q.query<{ id: string }>(`UPDATE alerts SET state = 'cleared', cleared_at = $2 WHERE gateway = 'cloud' AND left(id, length($1)) = $1 AND state = 'active' RETURNING id`, [prefix, now]);
  await closeFinishedIncidents(q, now, cleared.map((r) => r.id));
}
