import type { AlertEvent, GatewayManifest, UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { unitOfKind } from '../../protocols/units.ts';
import { alertPayload, type NotificationTarget } from '../notify/targets.ts';
import { storeDeviceEvents, storeManifestDevices } from './store-devices.ts';
import { canCopy, copyReadings } from './copy-readings.ts';
import { storeMovements } from './store-movements.ts';

// Writes one validated uplink batch in a single transaction. The batch key (gateway, stream,
// seq) is inserted first: if it is already there the whole batch is a replay and nothing else
// is touched, which is what makes redelivery harmless.

export type StoreResult = { status: 'committed'; deliveries: number; readingsStored: number } | { status: 'duplicate' };


export async function storeBatch(db: Db, batch: UplinkBatch, targets: readonly NotificationTarget[]): Promise<StoreResult> {
  return db.tx(async (q) => {
    if (!(await claimBatch(q, batch))) return { status: 'duplicate' as const };
    await upsertGateway(q, batch, batch.manifest);
    if (batch.manifest) await storeManifest(q, batch.gateway, batch.manifest);
    if (batch.manifest) await storeManifestDevices(q, batch.gateway, batch.manifest);
    const readingsStored = batch.readings.length ? await (canCopy(q) ? copyReadings(q, batch) : storeReadings(q, batch)) : 0;
    let deliveries = 0;
    for (const alert of batch.alerts) deliveries += await storeAlert(q, batch.gateway, alert, targets);
    // after the alerts: a device's "online" clears a device_offline raised earlier in this same
    // batch (a restarted gateway sends both and has forgotten the alert)
    if (batch.devices.length) await storeDeviceEvents(q, batch.gateway, batch.devices);
    if (batch.movements.length || batch.alerts.length) deliveries += await storeMovements(q, batch, (a) => storeAlert(q, batch.gateway, a, targets));
    return { status: 'committed' as const, deliveries, readingsStored };
  });
}

/** inserts the batch key; false when it was there already (a replay: touch nothing else) */
export async function claimBatch(q: Queryable, batch: UplinkBatch): Promise<boolean> {
  const fresh = await q.query(
    `INSERT INTO uplink_batches (gateway, stream, seq, sent_at, readings, alerts)
     VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), $5, $6)
     ON CONFLICT DO NOTHING RETURNING seq`,
    [batch.gateway, batch.stream, batch.seq, batch.sentAt, batch.readings.length, batch.alerts.length],
  );
  return fresh.length > 0;
}

/** the gateway's row: its stream's progress, and its site and manifest when the batch carries one */
export async function upsertGateway(q: Queryable, batch: UplinkBatch, manifest: GatewayManifest | undefined): Promise<void> {
  await q.query(
    `INSERT INTO gateways (id, site, stream, last_seq, last_seen, manifest)
     VALUES ($1, coalesce($2, 'unknown'), $3, $4, now(), $5::jsonb)
     ON CONFLICT (id) DO UPDATE SET
       site = coalesce($2, gateways.site), stream = $3, last_seq = greatest(CASE WHEN gateways.stream = $3 THEN gateways.last_seq END, $4),
       last_seen = now(), manifest = coalesce($5::jsonb, gateways.manifest)`,
    [batch.gateway, manifest?.site ?? null, batch.stream, batch.seq, manifest ? JSON.stringify(manifest) : null],
  );
}

export async function storeManifest(q: Queryable, gateway: string, m: GatewayManifest): Promise<void> {
  for (const z of m.zones) {
    await q.query(
      `INSERT INTO zones (id, gateway, site, name, profile_low, profile_high, delay_sec, hysteresis, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (id) DO UPDATE SET gateway = $2, site = $3, name = $4, profile_low = $5, profile_high = $6,
         delay_sec = $7, hysteresis = $8, updated_at = now()`,
      [z.id, gateway, m.site, z.name, z.profile.low ?? null, z.profile.high ?? null, z.delaySec, z.hysteresis],
    );
  }
  for (const s of m.sensors) {
    await q.query(
      `INSERT INTO sensors (id, gateway, zone, kind, unit, protocol, name, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (id) DO UPDATE SET gateway = $2, zone = $3, kind = $4, unit = $5, protocol = $6, name = $7, updated_at = now()`,
      [s.id, gateway, s.zone, s.kind, s.unit || unitOfKind(s.kind), s.protocol, s.name ?? null],
    );
  }
}

/** One multi-row insert from parallel arrays (unnest): one round trip per batch on every engine. */
/** returns how many readings were new (the rest were stored before) */
export async function storeReadings(q: Queryable, batch: Pick<UplinkBatch, 'gateway' | 'readings'>): Promise<number> {
  const n = batch.readings.length;
  const ts = new Array<number>(n), sensor = new Array<string>(n), kind = new Array<string>(n);
  const value = new Array<number>(n), quality = new Array<string>(n);
  batch.readings.forEach((r, i) => {
    ts[i] = r.ts; sensor[i] = r.sensor; kind[i] = r.kind; value[i] = r.value; quality[i] = r.quality;
  });
  // ON CONFLICT: a frame the gateway received twice (QoS 1 redelivery) is stored once.
  const [inserted] = await q.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality)
       SELECT to_timestamp(r.ts / 1000.0), $1, r.sensor, coalesce(s.zone, 'unassigned'), r.kind, r.value, r.quality
       FROM unnest($2::float8[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS r(ts, sensor, kind, value, quality)
       LEFT JOIN sensors s ON s.id = r.sensor
       ON CONFLICT (sensor, ts) DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [batch.gateway, ts, sensor, kind, value, quality],
  );
  // Latest value per sensor, kept on the sensor row so "now" panels never scan the series.
  await q.query(
    `UPDATE sensors s SET last_ts = v.ts, last_value = v.value
     FROM (SELECT DISTINCT ON (sensor) sensor, to_timestamp(ts / 1000.0) AS ts, value
           FROM unnest($1::float8[], $2::text[], $3::float8[]) AS r(ts, sensor, value)
           ORDER BY sensor, ts DESC) v
     WHERE s.id = v.sensor AND (s.last_ts IS NULL OR s.last_ts <= v.ts)`,
    [ts, sensor, value],
  );
  return inserted?.n ?? 0;
}

export async function storeAlert(q: Queryable, gateway: string, a: AlertEvent, targets: readonly NotificationTarget[]): Promise<number> {
  const cleared = a.transition === 'cleared';
  await q.query(
    `INSERT INTO alerts (id, gateway, zone, sensor, rule, severity, state, since, raised_at, cleared_at, value, threshold, message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), to_timestamp($9 / 1000.0), $10, $11, $12, $13)
     ON CONFLICT (id) DO ${cleared ? `UPDATE SET state = 'cleared', cleared_at = excluded.cleared_at` : 'NOTHING'}`,
    [a.id, gateway, a.zone, a.sensor ?? null, a.rule, a.severity, cleared ? 'cleared' : 'active', a.since,
      cleared ? a.since : a.ts, cleared ? new Date(a.ts) : null, a.value ?? null, a.threshold ?? null, a.message],
  );
  let created = 0;
  for (const t of targets) {
    const rows = await q.query(
      `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload)
       VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING RETURNING id`,
      [a.id, a.transition, t.channel, t.target, JSON.stringify(alertPayload(gateway, a, t))],
    );
    created += rows.length;
  }
  return created;
}
