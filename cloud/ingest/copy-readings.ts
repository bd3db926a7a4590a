import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import type pg from 'pg';
import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { Queryable } from '../db/engine.ts';
import { COPY_COLUMNS, copyBinary } from './copy-binary.ts';

// The readings of one uplink batch written with COPY, inside the batch's transaction (so they
// commit or roll back together with the idempotency record). PostgreSQL only: PGlite keeps the
// multi-row insert in store-batch.ts.
//
// readings has a unique (sensor, ts) and duplicates must be skipped (ON CONFLICT DO NOTHING),
// which COPY cannot do. Two correct ways, both measured by bench/ingest.ts:
//   'direct'  – COPY straight into readings under a savepoint; on a unique violation roll back
//               to the savepoint and take the staging way. A redelivered batch never gets here
//               (uplink_batches stops it first), so overlap is rare and the common case costs one
//               COPY. Default: per connection, 2 000-row batches, it measured 2.1-2.2× the
//               staging way and 0.86× (load 16) to 1.85× (load 8) the multi-row unnest insert
//               on the shared 2-core box (bench/ingest.ts → bench/results/ingest.json).
//   'staging' – COPY into a per-connection temp table (ON COMMIT DELETE ROWS: created once per
//               connection, emptied by each commit, no catalog churn per batch), then
//               INSERT … SELECT … ON CONFLICT DO NOTHING.

export type CopyStrategy = 'direct' | 'staging';

const STAGE = 'sp_readings_stage';
const UNIQUE_VIOLATION = '23505';

/** true when this transaction can COPY (PostgreSQL); PGlite answers false */
export function canCopy(q: Queryable): q is Queryable & { pgClient: pg.ClientBase } {
  return q.pgClient !== undefined;
}

/** runs COPY … FROM STDIN with `data` (text rows, or a binary COPY stream) on the client; returns the rows copied */
export async function copyIn(client: pg.ClientBase, sql: string, data: string | Uint8Array): Promise<number> {
  const stream = client.query(copyStreams.from(sql));
  await pipeline(Readable.from([typeof data === 'string' ? Buffer.from(data) : data]), stream);
  return stream.rowCount;
}

/**
 * Writes the batch's readings with COPY and updates each sensor's latest value; returns how
 * many readings were new (the rest were stored before). Must run inside the batch transaction.
 */
export async function copyReadings(q: Queryable & { pgClient: pg.ClientBase }, batch: UplinkBatch, strategy: CopyStrategy = 'direct'): Promise<number> {
  return (await copyReadingsOf(q, [batch], strategy))[0]!;
}

/**
 * The readings of several batches in ONE COPY (a group commit's big plain batches, several of one
 * stream among them: store-group.ts), and each sensor's latest value; returns how many readings of
 * each batch were new, in the batches' order. Must run inside the transaction that holds their
 * batch keys. `beforeLatest`: statements of the caller's run after the COPY, in the round trip of
 * the last-value update, before it locks the sensor rows (group-commit.ts: a run's turn).
 */
export async function copyReadingsOf(q: Queryable & { pgClient: pg.ClientBase }, batches: readonly Pick<UplinkBatch, 'gateway' | 'readings'>[], strategy: CopyStrategy = 'direct', beforeLatest = ''): Promise<number[]> {
  const client = q.pgClient;
  // Distinct sensors and each one's newest reading, in one pass (a batch holds few sensors).
  const latest = new Map<string, { ts: number; value: number }>();
  for (const b of batches) {
    for (const r of b.readings) {
      const l = latest.get(r.sensor);
      if (!l || r.ts >= l.ts) latest.set(r.sensor, { ts: r.ts, value: r.value });
    }
  }
  // sorted: the last-value UPDATE below locks the sensor rows in this order, and two transactions
  // of one gateway (overlap without group commit) locking its sensors in two orders deadlock
  const sensors = [...latest.keys()].sort();
  // Each round trip weighs next to the COPY of a 2 000-row batch (more so on a loaded box), so the
  // statements around it travel in pairs (simple query protocol: values as escaped literals).
  const inList = sensors.map((id) => client.escapeLiteral(id)).join(', ');
  const direct = strategy === 'direct';
  const zoneRows = lastResult(await client.query<{ id: string; zone: string }>(
    `${direct ? 'SAVEPOINT sp_copy_readings; ' : ''}SELECT id, zone FROM sensors WHERE id IN (${inList})`)).rows;
  // Zones as the sensors table has them now (a manifest in this batch was stored just before).
  const zones = new Map(zoneRows.map((z) => [z.id, z.zone]));
  const rows = copyBinary(batches, zones);

  let stored: number[];
  let released = false;
  if (direct) {
    try {
      await copyIn(client, `COPY readings ${COPY_COLUMNS} FROM STDIN (FORMAT binary)`, rows);
      stored = batches.map((b) => b.readings.length); // every row went in
    } catch (e) {
      if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
      // Some (sensor, ts) were stored before, or repeat inside the batch: skip them one by one.
      await client.query('ROLLBACK TO SAVEPOINT sp_copy_readings; RELEASE SAVEPOINT sp_copy_readings');
      released = true;
      stored = await viaStaging(client, rows, batches);
    }
  } else {
    stored = await viaStaging(client, rows, batches);
  }

  // Latest value per sensor, kept on the sensor row so "now" panels never scan the series.
  const latestValues = sensors.map((id) => {
    const l = latest.get(id)!;
    return `(${client.escapeLiteral(id)}, to_timestamp(${l.ts} / 1000.0), ${l.value}::float8)`;
  }).join(', ');
  await client.query(
    `${direct && !released ? 'RELEASE SAVEPOINT sp_copy_readings; ' : ''}${beforeLatest ? `${beforeLatest}; ` : ''}UPDATE sensors s SET last_ts = v.ts, last_value = v.value
     FROM (VALUES ${latestValues}) AS v(sensor, ts, value)
     WHERE s.id = v.sensor AND (s.last_ts IS NULL OR s.last_ts <= v.ts)`);
  return stored;
}

/** a multi-statement simple query answers one result per statement: the last one is ours */
function lastResult<R extends pg.QueryResultRow>(r: pg.QueryResult<R> | pg.QueryResult<R>[]): pg.QueryResult<R> {
  return Array.isArray(r) ? r[r.length - 1]! : r;
}

/** the new readings of each batch, in the batches' order */
async function viaStaging(client: pg.ClientBase, rows: Uint8Array, batches: readonly Pick<UplinkBatch, 'gateway' | 'readings'>[]): Promise<number[]> {
  // IF NOT EXISTS: the table lives as long as the pooled connection; a NOTICE after the first time.
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (LIKE readings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
  await copyIn(client, `COPY ${STAGE} ${COPY_COLUMNS} FROM STDIN (FORMAT binary)`, rows);
  // the rows that were new, so each is counted for the first batch that carries it (the batches
  // of one stream share a gateway: a count per gateway could not tell them apart)
  // (sensor, ts) is unique in readings: it names a new row
  const res = await client.query<{ sensor: string; ms: number }>(
    `INSERT INTO readings ${COPY_COLUMNS} SELECT ts, gateway, sensor, zone, kind, value, quality FROM ${STAGE} ON CONFLICT (sensor, ts) DO NOTHING
     RETURNING sensor, (extract(epoch FROM ts) * 1000)::float8 AS ms`);
  const fresh = new Set(res.rows.map((r) => readingKey(r.sensor, r.ms)));
  return batches.map((b) => {
    let n = 0;
    // as copyBinary wrote it: a timestamp to the millisecond
    for (const r of b.readings) if (fresh.delete(readingKey(r.sensor, new Date(r.ts).getTime()))) n++;
    return n;
  });
}

const readingKey = (sensor: string, ms: number) => `${sensor}\u0000${ms}`;
