import { topics, type GatewayManifest, type UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { unitOfKind } from '../../protocols/units.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import type { DueDelivery } from '../notify/deliveries.ts';
import { storeAlert } from '../notify/alerts.ts';
import { storeDeviceEvents, storeManifestDevices } from './store-devices.ts';
import { canCopy, copyReadings } from './copy-readings.ts';
import { storeMovements, type IngestSettings } from './store-movements.ts';
import type { Refusal } from './gateway-policy.ts';
import { recordDeadLetter } from './dead-letters.ts';
import { openBatch, writesGatewayRowLast } from './open-batch.ts';
import type { SpError } from '../../protocols/errors.ts';

// Writes one validated uplink batch in a single transaction (its first writes: open-batch.ts). First who may say what
// (gateway-policy.ts): an unknown or revoked gateway, or a stream opened under another credential,
// is refused whole. Then the batch key (gateway, stream, seq) with the digest of its content: if
// the key is there with the same digest the batch is a replay and nothing else is touched (what
// makes redelivery harmless); with another digest someone took this seq first, and the batch is
// refused, not dropped as a duplicate. Then the items the gateway does not own are screened out,
// each refused alone, and the rest is stored.

export type StoreResult =
  | { status: 'committed'; deliveries: number; readingsStored: number; refused: Refusal[]; /** what was stored: the batch less its refused items */ stored: UplinkBatch;
      /** with StoreOptions.lease: the deliveries of its alerts, leased to this instance, to hand to its dispatcher after the COMMIT */
      leased?: DueDelivery[] }
  | { status: 'duplicate' }
  /** nothing stored: an unknown gateway, a stale stream, or a seq already holding other content */
  | { status: 'rejected'; error: SpError; deliveries: number };

/**
 * Below this many readings a batch takes the multi-row unnest insert even on PostgreSQL: COPY's
 * extra round trips (COPY start, data, end, and its savepoint) cost more than they save for a
 * site's once-a-second flush of a few dozen readings (bench/fleet.ts, docs/capacity.md).
 */
export const COPY_MIN_READINGS = 64;

export interface StoreOptions {
  /**
   * insert the deliveries of the batch's alerts already leased (deliveries.ts queueTargetDeliveries)
   * and return them in the result: the caller hands them to its dispatcher once committed
   * (dispatcher.ts send), or their lease runs out and any pass sends them
   */
  lease?: boolean;
}

export async function storeBatch(db: Db, sent: UplinkBatch, targets: readonly NotificationTarget[], settings?: IngestSettings, o: StoreOptions = {}): Promise<StoreResult> {
  const result = await db.tx((q) => storeBatchIn(q, sent, targets, settings, o));
  if (result.status === 'committed') await recordRefusals(db, sent, result.refused);
  return result;
}

/** the writes of one batch inside a transaction the caller owns (storeBatch, or a group commit: group-commit.ts) */
export async function storeBatchIn(q: Queryable, sent: UplinkBatch, targets: readonly NotificationTarget[], settings?: IngestSettings, o: StoreOptions = {}): Promise<StoreResult> {
  {
    const opened = await openBatch(q, sent, targets);
    if (opened.status !== 'fresh') return opened;
    const batch = opened.batch;
    const last = writesGatewayRowLast(sent);
    if (!opened.gatewayRow && !last) await upsertGateway(q, batch, batch.manifest);
    if (batch.manifest) await storeManifest(q, batch.gateway, batch.manifest);
    if (batch.manifest) await storeManifestDevices(q, batch.gateway, batch.manifest);
    const readingsStored = batch.readings.length ? await (canCopy(q) && batch.readings.length >= COPY_MIN_READINGS ? copyReadings(q, batch) : storeReadings(q, batch)) : 0;
    let deliveries = opened.deliveries;
    const leased: DueDelivery[] | undefined = o.lease ? [] : undefined;
    for (const alert of batch.alerts) deliveries += await storeAlert(q, batch.gateway, alert, targets, leased);
    // after the alerts: a device's "online" clears a device_offline raised earlier in this same
    // batch (a restarted gateway sends both and has forgotten the alert)
    if (batch.devices.length) await storeDeviceEvents(q, batch.gateway, batch.devices);
    if (batch.movements.length || batch.alerts.length) deliveries += await storeMovements(q, batch, (a) => storeAlert(q, batch.gateway, a, targets, leased), settings);
    if (last) await upsertGateway(q, batch, undefined);
    return { status: 'committed' as const, deliveries, readingsStored, refused: opened.refused, stored: batch, ...(leased ? { leased } : {}) };
  }
}

/**
 * Each item the gateway may not send, kept with its coded reason, under the same key as any
 * refused item (mqtt-ingest.ts deadLetterItems): {gateway, stream, seq, item: "<list>.<index>", value}.
 * After the commit: the dead-letter store is the shared one.
 */
export async function recordRefusals(db: Db, sent: UplinkBatch, refused: readonly Refusal[]): Promise<void> {
  const label = (r: Refusal): string => {
    const first = Array.isArray(r.item) ? r.item[0] : r.item;
    const at = (list: readonly unknown[], name: string) => `${name}.${Math.max(0, list.indexOf(first))}`;
    if (r.what === 'reading') return at(sent.readings, 'readings');
    if (r.what === 'alert') return at(sent.alerts, 'alerts');
    if (r.what === 'movement') return at(sent.movements, 'movements');
    return 'manifest.0'; // the manifest, or one of its zones or sensors
  };
  for (const r of refused) {
    await recordDeadLetter(db, {
      source: `uplink:${sent.gateway}`, topic: topics.batch(sent.gateway), code: 'SP_ERR_GATEWAY_REFUSED', reason: `${label(r)}: ${r.what} ${r.subject}: ${r.reason}`,
      payload: JSON.stringify({ gateway: sent.gateway, stream: sent.stream, seq: sent.seq, item: label(r), value: r.item }),
    });
  }
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
  // `latest`: the latest value per sensor, kept on the sensor row so "now" panels never scan the
  // series. One statement (as store-group.ts): the zone join reads sensors as before the
  // last-value update, which changes no zone.
  const [inserted] = await q.query<{ n: number }>(
    `WITH r AS (SELECT * FROM unnest($2::float8[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS r(ts, sensor, kind, value, quality)),
     ins AS (
       INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality)
       SELECT to_timestamp(r.ts / 1000.0), $1, r.sensor, coalesce(s.zone, 'unassigned'), r.kind, r.value, r.quality
       FROM r LEFT JOIN sensors s ON s.id = r.sensor
       ON CONFLICT (sensor, ts) DO NOTHING
       RETURNING 1),
     latest AS (
       UPDATE sensors s SET last_ts = v.ts, last_value = v.value
       FROM (SELECT DISTINCT ON (sensor) sensor, to_timestamp(ts / 1000.0) AS ts, value FROM r ORDER BY sensor, ts DESC) v
       WHERE s.id = v.sensor AND (s.last_ts IS NULL OR s.last_ts <= v.ts))
     SELECT count(*)::int AS n FROM ins`,
    [batch.gateway, ts, sensor, kind, value, quality],
  );
  return inserted?.n ?? 0;
}
