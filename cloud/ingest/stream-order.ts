import type { Db } from '../db/engine.ts';
import { MAX_ID, isCleanText } from '../../protocols/text.ts';

// Strict seq order per stream (issue #12: the edge's seq window). The edge may have several
// batches of a stream in flight; the cloud must still apply them in seq order — an alert's raise
// before its clear, a movement before the count that corrects it. A batch whose predecessor has
// not been decided (committed, duplicate or rejected) is not looked at: it is answered `gap` with
// the seq expected, and the edge resends it once the predecessor is settled. One instance sees a
// gateway's batches in order (one publisher, one topic); with several instances on a shared
// subscription, seq n+1 can reach instance B while A still commits n — that is the gap case.
//
// The last decided seq of each stream is the gateways row's last_seq (written in the batch's own
// transaction, store-batch.ts upsertGateway; for a rejected batch by recordDecided below), cached
// here per instance. The database is read only for a stream this instance has not seen, or when a
// batch looks early (another instance may have moved the stream on).
//
// Never a deadlock: a batch that has been waiting for its predecessor for giveUpMs is taken anyway
// (the predecessor is gone for good: the cloud's database restored from an older backup, a stream
// whose first batch was refused whole) — logged by the caller.

export const GAP_GIVE_UP_MS = 30_000;

export type OrderVerdict = { next: true; skipped?: number } | { next: false; expected: number };

export class StreamOrder {
  private readonly last = new Map<string, number>();

  constructor(private readonly db: Db, private readonly giveUpMs = GAP_GIVE_UP_MS, private readonly now: () => number = Date.now) {}

  /** may this batch be decided now? `waitingSince`: when it first arrived (epoch ms) */
  async check(gateway: string, stream: string, seq: number, waitingSince: number): Promise<OrderVerdict> {
    // a stream id the database cannot hold (a NUL…) has no row to order against: the store path refuses it
    if (!storable(gateway, stream)) return { next: true };
    const k = streamKey(gateway, stream);
    const known = this.last.get(k);
    if (known !== undefined && seq <= known + 1) return { next: true };
    const [row] = await this.db.query<{ last_seq: number | string | null }>('SELECT last_seq FROM gateways WHERE id = $1 AND stream = $2', [gateway, stream]);
    let last: number;
    if (row && row.last_seq !== null) last = Math.max(Number(row.last_seq), known ?? 0);
    else if (known !== undefined) last = known;
    else {
      // A stream nothing was decided on yet begins at seq 1: a later seq waits for it (two
      // instances share a new gateway's first window). A gateway the registry does not know is
      // not held: it is refused whole anyway (gateway-policy.ts).
      if (seq === 1) return { next: true };
      const [registered] = await this.db.query('SELECT 1 FROM gateway_registry WHERE id = $1 AND revoked_at IS NULL', [gateway]);
      if (!registered) return { next: true };
      last = 0;
    }
    this.last.set(k, last);
    if (seq <= last + 1) return { next: true };
    if (this.now() - waitingSince >= this.giveUpMs) return { next: true, skipped: seq - last - 1 };
    return { next: false, expected: last + 1 };
  }

  /** the batch was decided by this instance (its ack is about to go out) */
  decided(gateway: string, stream: string, seq: number): void {
    const k = streamKey(gateway, stream);
    if ((this.last.get(k) ?? 0) < seq) this.last.set(k, seq);
  }
}

/**
 * A batch decided without a commit of its own (rejected whole): the stream still moved past it,
 * for the other instances and after a restart.
 */
export async function recordDecided(db: Db, gateway: string, stream: string, seq: number): Promise<void> {
  if (!storable(gateway, stream)) return;
  await db.query('UPDATE gateways SET last_seq = greatest(last_seq, $3) WHERE id = $1 AND stream = $2', [gateway, stream, seq]);
}

const storable = (gateway: string, stream: string) => isCleanText(gateway, MAX_ID) && isCleanText(stream, MAX_ID);
export const streamKey = (gateway: string, stream: string) => `${gateway}\u0000${stream}`;
