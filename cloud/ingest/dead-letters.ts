import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../db/engine.ts';

// Frames the cloud cannot accept are kept with their coded reason (never silently dropped) — but
// within bounds, because whoever sends them chooses their size and rate: the payload is stored up
// to 64 KiB (beyond that truncated, with the original size and SHA-256, enough to match it against
// the sender's own copy), each source keeps its newest 10 000 rows (pruned on insert, a bounded
// delete), and rows older than 30 days go (the dead-letter-retention job). README "Limits".

export const DEAD_LETTER_LIMITS = {
  /** payload bytes stored per dead letter */
  payloadBytes: 64 * 1024,
  /** rows kept per source (a gateway's uplink, a device) */
  perSource: 10_000,
  /** days a dead letter is kept */
  retentionDays: 30,
} as const;
export type DeadLetterLimits = { payloadBytes: number; perSource: number; retentionDays: number };

/** rows one prune deletes at most (an insert never waits on a big delete) */
const PRUNE_BATCH = 500;

/** text PostgreSQL can store: no NUL (a frame is kept as sent otherwise), at most max characters */
const storable = (s: string, max: number) => s.slice(0, max).replace(/\u0000/g, '\uFFFD');

export interface DeadLetter { source: string; topic?: string; code: string; reason: string; payload: Buffer | string }

export async function recordDeadLetter(db: Queryable, d: DeadLetter, limits: DeadLetterLimits = DEAD_LETTER_LIMITS): Promise<void> {
  const bytes = typeof d.payload === 'string' ? Buffer.from(d.payload, 'utf8') : d.payload;
  const truncated = bytes.length > limits.payloadBytes;
  // decoding the kept prefix as UTF-8 turns invalid sequences (and a character cut in half) into U+FFFD
  const text = storable(bytes.subarray(0, limits.payloadBytes).toString('utf8'), limits.payloadBytes);
  const source = storable(d.source, 200);
  await db.query(
    `INSERT INTO dead_letters (source, topic, code, reason, payload, payload_bytes, payload_sha256, truncated)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [source, d.topic === undefined ? null : storable(d.topic, 500), storable(d.code, 100), storable(d.reason, 2000), text,
      bytes.length, createHash('sha256').update(bytes).digest('hex'), truncated],
  );
  await pruneSource(db, source, limits.perSource);
}

/** the rows of one source beyond its newest `keep`, at most PRUNE_BATCH at a time */
async function pruneSource(db: Queryable, source: string, keep: number): Promise<number> {
  const rows = await db.query<{ id: string }>(
    `DELETE FROM dead_letters WHERE id IN (
       SELECT id FROM dead_letters WHERE source = $1 ORDER BY id DESC OFFSET $2 LIMIT ${PRUNE_BATCH}) RETURNING id`,
    [source, keep]);
  return rows.length;
}

/**
 * Retention and the per-source cap over the whole table (the job; an insert only prunes its own
 * source): rows older than retentionDays, then every source still over its cap.
 */
export async function pruneDeadLetters(db: Db, now: Date, limits: DeadLetterLimits = DEAD_LETTER_LIMITS): Promise<{ expired: number; overCap: number }> {
  let expired = 0;
  for (;;) {
    const rows = await db.query<{ id: string }>(
      `DELETE FROM dead_letters WHERE id IN (
         SELECT id FROM dead_letters WHERE received_at < $1::timestamptz - make_interval(days => $2::int) LIMIT ${PRUNE_BATCH * 10}) RETURNING id`,
      [now.toISOString(), limits.retentionDays]);
    expired += rows.length;
    if (rows.length < PRUNE_BATCH * 10) break;
  }
  let overCap = 0;
  const over = await db.query<{ source: string }>('SELECT source FROM dead_letters GROUP BY source HAVING count(*) > $1', [limits.perSource]);
  for (const { source } of over) {
    for (let n = PRUNE_BATCH; n === PRUNE_BATCH;) {
      n = await pruneSource(db, source, limits.perSource);
      overCap += n;
    }
  }
  return { expired, overCap };
}
