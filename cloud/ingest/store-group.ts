import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import { MAX_ID, isCleanText } from '../../protocols/text.ts';
import type { Queryable } from '../db/engine.ts';
import { batchDigest } from './batch-digest.ts';
import { canCopy } from './copy-readings.ts';
import { COPY_MIN_READINGS, type StoreResult } from './store-batch.ts';

// The set-based path of a group commit (issue #16). A fleet's batches are nearly all the same
// plain thing: a few readings of sensors the gateway already owns. On the per-batch path
// (storeBatchIn) each costs a dozen statements run one after the other in the group's
// transaction, and those round trips — not the COMMIT — were the cloud's ceiling (docs/capacity.md).
// Here the plain batches of a group are written together, a handful of statements per GROUP:
//   1. registry + stream binding of all their gateways (one statement: no cache, so a revocation
//      takes effect on the next group);
//   2. the owners of all their sensors (one lookup);
//   3. all their idempotency keys (one INSERT … ON CONFLICT DO NOTHING; the keys not inserted get
//      their digest compared: same = duplicate, other = conflict);
//   4. readings, sensors' last value and the gateways rows (one statement).
// It decides only what it can decide exactly as storeBatchIn would for such a batch (committed
// with nothing refused, or duplicate). Everything else — a manifest, alerts, devices, movements,
// a sensor not (yet) its gateway's, an id the database cannot hold, an unknown or revoked gateway,
// a stale stream, a seq conflict — is left undefined and the caller runs it through storeBatchIn
// under its own savepoint, unchanged. The caller runs this under a savepoint too: if any statement
// here fails, everything here is rolled back and every batch takes the per-batch path, so one
// poison batch still costs only itself.
//
// A group holds at most one batch per gateway (mqtt-ingest.ts chains each gateway's batches); a
// gateway that appears twice anyway is left to the per-batch path, so a batch is known here by
// its gateway.

const plain = (b: UplinkBatch): boolean =>
  b.manifest === undefined && b.alerts.length === 0 && b.devices.length === 0 && b.movements.length === 0;

const storable = (b: UplinkBatch): boolean =>
  isCleanText(b.gateway, MAX_ID) && isCleanText(b.stream, MAX_ID) && b.readings.every((r) => isCleanText(r.sensor, MAX_ID));

/** per batch: its result when decided here, undefined when the per-batch path must take it */
export async function storeGroupFast(q: Queryable, batches: readonly UplinkBatch[]): Promise<(StoreResult | undefined)[]> {
  const out: (StoreResult | undefined)[] = batches.map(() => undefined);
  const seen = new Map<string, number>();
  for (const b of batches) seen.set(b.gateway, (seen.get(b.gateway) ?? 0) + 1);
  // big batches keep COPY on the per-batch path (store-batch.ts COPY_MIN_READINGS)
  const copies = canCopy(q);
  let todo = batches.map((b, i) => i).filter((i) => {
    const b = batches[i]!;
    return seen.get(b.gateway) === 1 && plain(b) && (!copies || b.readings.length < COPY_MIN_READINGS) && storable(b);
  });
  if (!todo.length) return out;

  todo = await admitted(q, batches, todo);
  todo = await owned(q, batches, todo);
  if (!todo.length) return out;

  const { fresh, duplicate } = await claimKeys(q, batches, todo);
  for (const i of duplicate) out[i] = { status: 'duplicate' };
  if (!fresh.length) return out;

  const stored = await writeBatches(q, fresh.map((i) => batches[i]!));
  for (const i of fresh) {
    const b = batches[i]!;
    out[i] = { status: 'committed', deliveries: 0, readingsStored: stored.get(b.gateway) ?? 0, refused: [], stored: b };
  }
  return out;
}

/** those whose gateway is live and whose stream its current credential opened (binding the new streams), as admitBatch */
async function admitted(q: Queryable, batches: readonly UplinkBatch[], todo: number[]): Promise<number[]> {
  const rows = await q.query<{ gateway: string; current: number; opened: number | null }>(
    `WITH b AS (SELECT * FROM unnest($1::text[], $2::text[]) AS b(gateway, stream)),
     reg AS (SELECT b.gateway, b.stream, g.generation FROM b JOIN gateway_registry g ON g.id = b.gateway AND g.revoked_at IS NULL),
     opened AS (INSERT INTO uplink_streams (gateway, stream, generation) SELECT gateway, stream, generation FROM reg
                ON CONFLICT DO NOTHING RETURNING gateway, generation)
     SELECT reg.gateway, reg.generation AS current, coalesce(opened.generation, us.generation) AS opened
     FROM reg LEFT JOIN opened ON opened.gateway = reg.gateway
     LEFT JOIN uplink_streams us ON us.gateway = reg.gateway AND us.stream = reg.stream`,
    [todo.map((i) => batches[i]!.gateway), todo.map((i) => batches[i]!.stream)],
  );
  // opened NULL: bound by another transaction after this statement's snapshot; the per-batch path reads it
  const live = new Set(rows.filter((r) => r.opened !== null && Number(r.opened) === Number(r.current)).map((r) => r.gateway));
  return todo.filter((i) => live.has(batches[i]!.gateway));
}

/** those whose every sensor is already claimed by their own gateway (first use and foreign sensors: per-batch path) */
async function owned(q: Queryable, batches: readonly UplinkBatch[], todo: number[]): Promise<number[]> {
  const sensors = [...new Set(todo.flatMap((i) => batches[i]!.readings.map((r) => r.sensor)))];
  if (!sensors.length) return todo;
  const rows = await q.query<{ id: string; gateway: string }>(
    `SELECT id, gateway FROM gateway_claims WHERE kind = 'sensor' AND id = ANY($1::text[])`, [sensors]);
  const owner = new Map(rows.map((r) => [r.id, r.gateway]));
  return todo.filter((i) => batches[i]!.readings.every((r) => owner.get(r.sensor) === batches[i]!.gateway));
}

/** the batch keys with their digests, as claimBatch: fresh, duplicate, or (neither) a conflict for the per-batch path */
async function claimKeys(q: Queryable, batches: readonly UplinkBatch[], todo: number[]): Promise<{ fresh: number[]; duplicate: number[] }> {
  const bs = todo.map((i) => batches[i]!);
  const digests = bs.map(batchDigest);
  const inserted = await q.query<{ gateway: string }>(
    `INSERT INTO uplink_batches (gateway, stream, seq, sent_at, readings, alerts, digest)
     SELECT k.gateway, k.stream, k.seq, to_timestamp(k.sent / 1000.0), k.n, 0, k.digest
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::int[], $6::text[]) AS k(gateway, stream, seq, sent, n, digest)
     ON CONFLICT DO NOTHING RETURNING gateway`,
    [bs.map((b) => b.gateway), bs.map((b) => b.stream), bs.map((b) => b.seq), bs.map((b) => b.sentAt), bs.map((b) => b.readings.length), digests],
  );
  const isFresh = new Set(inserted.map((r) => r.gateway));
  const fresh = todo.filter((i) => isFresh.has(batches[i]!.gateway));
  const held = todo.map((i, k) => ({ i, digest: digests[k]! })).filter(({ i }) => !isFresh.has(batches[i]!.gateway));
  if (!held.length) return { fresh, duplicate: [] };
  const rows = await q.query<{ gateway: string; digest: string | null }>(
    `SELECT u.gateway, u.digest FROM uplink_batches u
     JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS k(gateway, stream, seq) ON u.gateway = k.gateway AND u.stream = k.stream AND u.seq = k.seq`,
    [held.map(({ i }) => batches[i]!.gateway), held.map(({ i }) => batches[i]!.stream), held.map(({ i }) => batches[i]!.seq)],
  );
  const heldDigest = new Map(rows.map((r) => [r.gateway, r.digest]));
  // as claimBatch: no digest (committed before digests were kept) or the same one = a replay
  const duplicate = held.filter(({ i, digest }) => { const d = heldDigest.get(batches[i]!.gateway); return d == null || d === digest; }).map(({ i }) => i);
  return { fresh, duplicate };
}

/** readings (ON CONFLICT (sensor, ts) DO NOTHING), sensors' last value and the gateways rows, as storeReadings + upsertGateway; new readings per gateway */
async function writeBatches(q: Queryable, bs: readonly UplinkBatch[]): Promise<Map<string, number>> {
  const gateway: string[] = [], ts: number[] = [], sensor: string[] = [], kind: string[] = [], value: number[] = [], quality: string[] = [];
  for (const b of bs) {
    for (const r of b.readings) {
      gateway.push(b.gateway); ts.push(r.ts); sensor.push(r.sensor); kind.push(r.kind); value.push(r.value); quality.push(r.quality);
    }
  }
  // one statement: the CTEs see one snapshot (the readings' zone join reads sensors as before
  // the last-value update, which changes no zone) and all run whether or not they are selected
  const rows = await q.query<{ gateway: string; n: number }>(
    `WITH r AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS r(gateway, ts, sensor, kind, value, quality)),
     ins AS (
       INSERT INTO readings (ts, gateway, sensor, zone, kind, value, quality)
       SELECT to_timestamp(r.ts / 1000.0), r.gateway, r.sensor, coalesce(s.zone, 'unassigned'), r.kind, r.value, r.quality
       FROM r LEFT JOIN sensors s ON s.id = r.sensor
       ON CONFLICT (sensor, ts) DO NOTHING
       RETURNING gateway),
     latest AS (
       UPDATE sensors s SET last_ts = v.ts, last_value = v.value
       FROM (SELECT DISTINCT ON (sensor) sensor, to_timestamp(ts / 1000.0) AS ts, value FROM r ORDER BY sensor, ts DESC) v
       WHERE s.id = v.sensor AND (s.last_ts IS NULL OR s.last_ts <= v.ts)),
     gw AS (
       INSERT INTO gateways (id, site, stream, last_seq, last_seen)
       SELECT g.id, 'unknown', g.stream, g.seq, now() FROM unnest($7::text[], $8::text[], $9::bigint[]) AS g(id, stream, seq)
       ON CONFLICT (id) DO UPDATE SET
         stream = excluded.stream, last_seq = greatest(CASE WHEN gateways.stream = excluded.stream THEN gateways.last_seq END, excluded.last_seq),
         last_seen = now())
     SELECT gateway, count(*)::int AS n FROM ins GROUP BY gateway`,
    [gateway, ts, sensor, kind, value, quality, bs.map((b) => b.gateway), bs.map((b) => b.stream), bs.map((b) => b.seq)],
  );
  return new Map(rows.map((r) => [r.gateway, Number(r.n)]));
}
