import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import { MAX_ID, isCleanText } from '../../protocols/text.ts';
import type pg from 'pg';
import type { Queryable } from '../db/engine.ts';
import { batchDigest, sameContent } from './batch-digest.ts';
import { canCopy, copyReadingsOf } from './copy-readings.ts';
import type { RunTurn } from './run-turn.ts';
import { COPY_MIN_READINGS, type StoreResult } from './store-batch.ts';

// The set-based path of a group commit (issue #16). A fleet's batches are nearly all the same
// plain thing: a few readings of sensors the gateway already owns. On the per-batch path
// (storeBatchIn) each costs a dozen statements run one after the other in the group's
// transaction, and those round trips — not the COMMIT — were the cloud's ceiling (docs/capacity.md).
// Here the plain batches of a group are written together, two or three statements per GROUP:
//   1. registry, stream binding and the owners of their sensors, for all their gateways (no
//      cache: a revocation takes effect on the next group);
//   2. their idempotency keys (INSERT … ON CONFLICT DO NOTHING) and, for the batches whose key
//      was new, their readings, the sensors' last value and the gateways rows;
//   3. only when some key was there already: its digest (same = duplicate, other = conflict).
// Big batches on PostgreSQL (COPY_MIN_READINGS and more: a catch-up, a busy site) take step 2 as
// their keys, then ONE COPY for all their readings (copy-readings.ts copyReadingsOf), then their
// gateways rows: per group, not per batch, the zone lookup, the savepoint, the COPY and the
// last-value update that each of them paid alone on the per-batch path (bench/ingest.ts). The
// gateways rows go last, as writesGatewayRowLast does: a batch of the same stream stored beside
// this group (mqtt-ingest.ts overlap) waits for that row lock only at the COMMIT.
// It decides only what it can decide exactly as storeBatchIn would for such a batch (committed
// with nothing refused, or duplicate). Everything else — a manifest, alerts, devices, movements,
// a sensor not (yet) its gateway's, an id the database cannot hold, an unknown or revoked gateway,
// a stale stream, a seq conflict — is left undefined and the caller runs it through storeBatchIn
// under its own savepoint, unchanged. The caller runs this first in the group's transaction: if
// any statement here fails (for another reason than the connection), the caller rolls that
// transaction back and runs every batch through the per-batch path, so one poison batch still costs
// only itself (no savepoint here: on the common path it would cost two round trips per group).
//
// A group holds one batch per gateway, except a run of big plain batches of one stream
// (group-commit.ts take: the drain after an outage, mqtt-ingest.ts overlap), which is decided here
// as one: its keys in the same statement, its readings in the same COPY, one gateways row at its
// highest seq — per run, not per batch, the statements and the COMMIT. Any other gateway that
// appears twice is left to the per-batch path, so batches are known here by their position.

/** readings only (or nothing at all): what this path may decide */
export const plain = (b: UplinkBatch): boolean =>
  b.manifest === undefined && b.alerts.length === 0 && b.devices.length === 0 && b.movements.length === 0;

const storable = (b: UplinkBatch): boolean =>
  isCleanText(b.gateway, MAX_ID) && isCleanText(b.stream, MAX_ID) && b.readings.every((r) => isCleanText(r.sensor, MAX_ID));

/** a batch key, as uplink_batches holds it */
const keyOf = (b: { gateway: string; stream: string; seq: number | string }) => `${b.gateway}\u0000${b.stream}\u0000${b.seq}`;

/**
 * per batch: its result when decided here, undefined when the per-batch path must take it.
 * `turn`: the group follows a run of one of its gateways still committing (group-commit.ts): its
 * wait goes in before the big batches' last values are written (run-turn.ts)
 */
export async function storeGroupFast(q: Queryable, batches: readonly UplinkBatch[], turn?: RunTurn): Promise<(StoreResult | undefined)[]> {
  const out: (StoreResult | undefined)[] = batches.map(() => undefined);
  // big batches COPY (store-batch.ts COPY_MIN_READINGS), the others one multi-row statement
  const copyQ = canCopy(q) ? q : undefined;
  const isBig = (b: UplinkBatch) => copyQ !== undefined && b.readings.length >= COPY_MIN_READINGS;
  const ofGateway = new Map<string, UplinkBatch[]>();
  for (const b of batches) {
    const of = ofGateway.get(b.gateway);
    if (of) of.push(b);
    else ofGateway.set(b.gateway, [b]);
  }
  // one batch, or a run: big ones of one stream, no seq twice
  const oneRun = (bs: UplinkBatch[]) =>
    bs.every((b) => plain(b) && storable(b)) &&
    (bs.length === 1 || (bs.every(isBig) && bs.every((b) => b.stream === bs[0]!.stream) && new Set(bs.map((b) => b.seq)).size === bs.length));
  const runs = [...ofGateway.values()].filter(oneRun);
  if (!runs.length) return out;

  const ok = await admittedAndOwned(q, runs);
  const todo = runs.filter((bs) => ok.has(bs[0]!.gateway)).flat();
  if (!todo.length) return out;

  const digests = new Map(todo.map((b) => [b, batchDigest(b)]));
  const big = todo.filter(isBig);
  const small = todo.filter((b) => !isBig(b));
  const stored = new Map([
    ...(small.length ? await claimAndWrite(q, small, digests) : []),
    ...(copyQ && big.length ? await claimAndCopy(copyQ, big, digests, turn) : []),
  ]);
  const held = todo.filter((b) => !stored.has(b));
  const duplicate = held.length ? await replays(q, held, digests) : new Set<UplinkBatch>();
  for (const [i, b] of batches.entries()) {
    const n = stored.get(b);
    if (n !== undefined) out[i] = { status: 'committed', deliveries: 0, readingsStored: n, refused: [], stored: b };
    else if (duplicate.has(b)) out[i] = { status: 'duplicate' };
  }
  return out;
}

/**
 * The gateways that are live, on a stream their current credential opened (new streams are bound
 * here, as admitBatch does) and whose every sensor they already own (first use, a foreign sensor:
 * per-batch path).
 */
async function admittedAndOwned(q: Queryable, runs: readonly (readonly UplinkBatch[])[]): Promise<Set<string>> {
  const sensorGateway: string[] = [], sensor: string[] = [];
  for (const run of runs) {
    // a loop, not flatMap: a drain's run is 8 000 readings, and the two arrays per batch took ~1 ms a run,
    // 3.7 % of the cloud's busy samples while draining (bench/drain.ts, STOCKPULSE_BENCH_CPU_PROF)
    const sensors = new Set<string>();
    for (const b of run) for (const r of b.readings) sensors.add(r.sensor);
    for (const s of sensors) { sensorGateway.push(run[0]!.gateway); sensor.push(s); }
  }
  const bs = runs.map((run) => run[0]!); // a run is one gateway on one stream
  // a stream bound by another transaction after this statement's snapshot reads as unbound
  // (NULL): left to the per-batch path, whose next statement sees it
  const rows = await q.query<{ gateway: string }>(
    `WITH b AS (SELECT * FROM unnest($1::text[], $2::text[]) AS b(gateway, stream)),
     reg AS (SELECT b.gateway, b.stream, g.generation FROM b JOIN gateway_registry g ON g.id = b.gateway AND g.revoked_at IS NULL),
     opened AS (INSERT INTO uplink_streams (gateway, stream, generation) SELECT gateway, stream, generation FROM reg
                ON CONFLICT DO NOTHING RETURNING gateway, generation),
     not_owned AS (SELECT DISTINCT s.gateway FROM unnest($3::text[], $4::text[]) AS s(gateway, sensor)
                   LEFT JOIN gateway_claims c ON c.kind = 'sensor' AND c.id = s.sensor
                   WHERE c.gateway IS DISTINCT FROM s.gateway)
     SELECT reg.gateway FROM reg
     LEFT JOIN opened ON opened.gateway = reg.gateway
     LEFT JOIN uplink_streams us ON us.gateway = reg.gateway AND us.stream = reg.stream
     WHERE coalesce(opened.generation, us.generation) = reg.generation
       AND NOT EXISTS (SELECT 1 FROM not_owned n WHERE n.gateway = reg.gateway)`,
    [bs.map((b) => b.gateway), bs.map((b) => b.stream), sensorGateway, sensor],
  );
  return new Set(rows.map((r) => r.gateway));
}

/**
 * The batch keys with their digests (as claimBatch) and, for the batches whose key was new, their
 * readings (ON CONFLICT (sensor, ts) DO NOTHING), the sensors' last value and the gateways rows
 * (as storeReadings + upsertGateway). One batch per gateway. Returns the new readings of each
 * batch whose key was new.
 */
async function claimAndWrite(q: Queryable, bs: readonly UplinkBatch[], digests: Digests): Promise<Map<UplinkBatch, number>> {
  const gateway: string[] = [], ts: number[] = [], sensor: string[] = [], kind: string[] = [], value: number[] = [], quality: string[] = [];
  for (const b of bs) {
    for (const r of b.readings) {
      gateway.push(b.gateway); ts.push(r.ts); sensor.push(r.sensor); kind.push(r.kind); value.push(r.value); quality.push(r.quality);
    }
  }
  // One statement. Its parts see one snapshot and talk only through RETURNING: the readings,
  // last values and gateways rows are written for the keys `fresh` inserted; the zone join reads
  // sensors as before the last-value update (which changes no zone); all parts run whether or not
  // the final SELECT reads them.
  const rows = await q.query<{ gateway: string; n: number }>(
    `WITH ${FRESH_KEYS},
     r AS (
       SELECT r.* FROM unnest($7::text[], $8::float8[], $9::text[], $10::text[], $11::float8[], $12::text[]) AS r(gateway, ts, sensor, kind, value, quality)
       WHERE r.gateway IN (SELECT gateway FROM fresh)),
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
     gw AS (${GATEWAY_ROWS('fresh f')})
     SELECT f.gateway, coalesce(i.n, 0) AS n FROM fresh f LEFT JOIN (SELECT gateway, count(*)::int AS n FROM ins GROUP BY gateway) i ON i.gateway = f.gateway`,
    [...keyParams(bs, digests), gateway, ts, sensor, kind, value, quality],
  );
  const byGateway = new Map(bs.map((b) => [b.gateway, b]));
  return new Map(rows.map((r) => [byGateway.get(r.gateway)!, Number(r.n)]));
}

type Digests = ReadonlyMap<UplinkBatch, string>;

/** the batch keys ($1-$6: keyParams) inserted; `fresh` holds those that were new */
const FRESH_KEYS = `fresh AS (
       INSERT INTO uplink_batches (gateway, stream, seq, sent_at, readings, alerts, digest)
       SELECT k.gateway, k.stream, k.seq, to_timestamp(k.sent / 1000.0), k.n, 0, k.digest
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::int[], $6::text[]) AS k(gateway, stream, seq, sent, n, digest)
       ON CONFLICT DO NOTHING
       RETURNING gateway, stream, seq)`;

const keyParams = (bs: readonly UplinkBatch[], digests: Digests) =>
  [bs.map((b) => b.gateway), bs.map((b) => b.stream), bs.map((b) => b.seq), bs.map((b) => b.sentAt), bs.map((b) => b.readings.length), bs.map((b) => digests.get(b)!)];

/**
 * The gateways rows of the batches in `from`, a row source named f (gateway, stream, seq), as
 * upsertGateway with no manifest: one row per gateway (a run's batches share one), at its highest seq.
 */
const GATEWAY_ROWS = (from: string) => `
       INSERT INTO gateways (id, site, stream, last_seq, last_seen)
       SELECT DISTINCT ON (f.gateway) f.gateway, 'unknown', f.stream, f.seq, now() FROM ${from} ORDER BY f.gateway, f.seq DESC
       ON CONFLICT (id) DO UPDATE SET
         stream = excluded.stream, last_seq = greatest(CASE WHEN gateways.stream = excluded.stream THEN gateways.last_seq END, excluded.last_seq),
         last_seen = now()`;

/**
 * Big batches: their keys (as claimAndWrite), then, for those whose key was new, one COPY of all
 * their readings with the sensors' last value, then their gateways rows. Returns the new
 * readings of each batch whose key was new.
 */
async function claimAndCopy(q: Queryable & { pgClient: pg.ClientBase }, bs: readonly UplinkBatch[], digests: Digests, turn?: RunTurn): Promise<Map<UplinkBatch, number>> {
  const fresh = await q.query<{ gateway: string; stream: string; seq: number }>(`WITH ${FRESH_KEYS} SELECT gateway, stream, seq FROM fresh`, keyParams(bs, digests));
  if (!fresh.length) return new Map();
  const isFresh = new Set(fresh.map(keyOf));
  const copied = bs.filter((b) => isFresh.has(keyOf(b)));
  const counts = await copyReadingsOf(q, copied, 'direct', turn?.take());
  await q.query(GATEWAY_ROWS('unnest($1::text[], $2::text[], $3::bigint[]) AS f(gateway, stream, seq)'),
    [fresh.map((f) => f.gateway), fresh.map((f) => f.stream), fresh.map((f) => f.seq)]);
  return new Map(copied.map((b, i) => [b, counts[i]!]));
}

/** of the batches whose key was there already, the replays (as claimBatch: same digest, or none kept); the others are seq conflicts */
async function replays(q: Queryable, held: readonly UplinkBatch[], digests: Digests): Promise<Set<UplinkBatch>> {
  const rows = await q.query<{ gateway: string; stream: string; seq: string; digest: string | null }>(
    `SELECT u.gateway, u.stream, u.seq, u.digest FROM uplink_batches u
     JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS k(gateway, stream, seq) ON u.gateway = k.gateway AND u.stream = k.stream AND u.seq = k.seq`,
    [held.map((b) => b.gateway), held.map((b) => b.stream), held.map((b) => b.seq)],
  );
  const kept = new Map(rows.map((r) => [keyOf(r), r.digest]));
  return new Set(held.filter((b) => sameContent(kept.get(keyOf(b)), b, digests.get(b)!)));
}
