import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, UplinkAck, topics, type UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { DeadLetterStore } from '../dead-letters.ts';
import type { OutboxQueue, OutboxEntry, PendingBatch } from '../outbox/queue.ts';

// Sends the outbox to the cloud with up to `window` batches in flight (the seq window; 1 is
// stop-and-wait). Order and exactly-once come from the cloud, not from waiting: it decides a
// stream's batches strictly in seq order, dedups resends by (gateway, stream, seq), and answers
// a batch that overtook an undecided predecessor with `gap` (nothing looked at). So:
// - an ack of seq n (committed, duplicate or rejected) settles every batch ≤ n (cumulative);
//   rejected → that batch goes to the dead letters (it will never be accepted, and holding it
//   would block everything behind it);
// - a `gap` marks its batch for resending, which happens once everything before it is settled
//   (the predecessor was still being committed: typical with several cloud instances sharing
//   the subscription) — or, if the predecessor's ack never comes, at the ack timeout;
// - no progress for ackTimeoutMs → every batch in the window is resent, unchanged (go-back-N).
// Entries wait up to flushMs to fill a batch; an alert goes at once, even with the window busy
// (issue #12: an alarm no longer waits for the ack of the batch ahead of it).

/** a batch answered gap with nothing unsettled ahead of it is resent after this pause */
const GAP_RETRY_MS = 50;
/** the ack timeout grows to at most this multiple of ackTimeoutMs while no ack comes */
const MAX_BACKOFF = 4;

export interface UplinkOptions {
  gateway: string;
  client: MqttClient;
  outbox: OutboxQueue;
  log: Logger;
  deadLetters: DeadLetterStore;
  flushMs: number;
  batchMaxItems: number;
  ackTimeoutMs: number;
  /** batches in flight at once; default 8 */
  window?: number;
}

export interface UplinkStats {
  batchesSent: number;
  batchesAcked: number;
  resends: number;
  rejected: number;
  /** batches the cloud answered `gap` (sent ahead of a predecessor it had not decided yet) */
  gaps: number;
  /** items of committed batches the cloud could not store (kept in its dead letters) */
  itemsRejected: number;
  lastAckAt?: number;
  /** ms from first send to ack of the last acked batch */
  lastLatencyMs?: number;
}

interface InFlight {
  batch: PendingBatch;
  firstSentAt: number;
  /** the cloud answered gap: resend once the batches before it are settled */
  gapped: boolean;
}

export class Uplink {
  readonly stats: UplinkStats = { batchesSent: 0, batchesAcked: 0, resends: 0, rejected: 0, gaps: 0, itemsRejected: 0 };
  /** epoch ms of the last ack, or of start() before the first: when the stream last advanced */
  lastAdvanceAt = Date.now();
  private flushTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  /** batches sent and not settled, oldest first (what the outbox has handed out) */
  private inFlight: InFlight[] = [];
  private stopped = true;
  /** an alert is waiting: cut the next batch without the batching wait */
  private urgentPending = false;
  /** the flush timer ran out with entries waiting: cut a batch even if it is not full */
  private flushDue = false;
  private readonly window: number;
  private gapRetry: NodeJS.Timeout | undefined;
  private warnedBehind = false;
  /** multiplier of ackTimeoutMs: doubles per timeout without an ack in between, from the second on */
  private backoff = 1;
  /** ack timeouts in a row (reset by any ack) */
  private timeouts = 0;
  private readonly onMessage = (topic: string, payload: Buffer) => this.handleAck(topic, payload);
  // Subscribed on every connect (idempotent), so a gateway that starts with the cloud
  // unreachable picks up its acks once the link appears. What was in flight may have been lost
  // with the old connection: it is all resent.
  private readonly onConnect = () => {
    this.o.client.subscribeAsync(topics.ack(this.o.gateway), { qos: 1 })
      .then(() => { this.resend(this.inFlight); this.fill(); }, (e: Error) => this.o.log.warn({ err: e.message }, 'ack subscription failed'));
  };

  constructor(private readonly o: UplinkOptions) {
    this.window = o.window ?? 8;
  }

  /** batches sent and not yet settled (at most the window) */
  inFlightBatches(): number {
    return this.inFlight.length;
  }

  /** epoch ms the oldest batch in flight was first sent; undefined when none is */
  inFlightSince(): number | undefined {
    return this.inFlight[0]?.firstSentAt;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.lastAdvanceAt = Date.now();
    // batches handed out before a restart go first, as they were (same seq, same entries)
    this.inFlight = this.o.outbox.handedOut().map((batch) => ({ batch, firstSentAt: Date.now(), gapped: false }));
    this.o.client.on('message', this.onMessage);
    this.o.client.on('connect', this.onConnect);
    if (this.o.client.connected) {
      await this.o.client.subscribeAsync(topics.ack(this.o.gateway), { qos: 1 });
      this.resend(this.inFlight);
      this.fill();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.ackTimer);
    clearTimeout(this.gapRetry);
    this.o.client.off('message', this.onMessage);
    this.o.client.off('connect', this.onConnect);
  }

  /** call after appending to the outbox; `urgent` skips the batching wait (alerts) */
  notify(urgent: boolean): void {
    if (urgent) this.urgentPending = true;
    this.fill();
    // entries of a group commit still under way are not counted yet: look again after flushMs
    if (this.o.outbox.waiting() === 0) this.armFlush();
  }

  /**
   * Keeps entries that go out at once (an alert) and sends them: with room in the window, the
   * outbox keeps them and fixes their batch's seq in one commit (appendAndTake: one fsync, not
   * two, on the alarm's path, issue #12), else they wait as notify(true) has them wait. Kept
   * (on disk) when it returns, either way.
   */
  appendUrgent(entries: readonly OutboxEntry[]): void {
    if (this.stopped || !this.o.client.connected || this.inFlight.length >= this.window) {
      this.o.outbox.append(entries);
      return this.notify(true);
    }
    const batch = this.o.outbox.appendAndTake(entries, this.o.batchMaxItems);
    if (batch) {
      this.inFlight.push({ batch, firstSentAt: Date.now(), gapped: false });
      this.publish(batch);
    }
    // what did not fit in that batch goes out as notify(true) sends it
    this.notify(true);
  }

  /** true when nothing is waiting to be acknowledged */
  idle(): boolean {
    return this.inFlight.length === 0 && this.o.outbox.depth() === 0;
  }

  /** cuts and sends new batches while the window has room and there is reason to */
  private fill(): void {
    if (this.stopped || !this.o.client.connected) return;
    while (this.inFlight.length < this.window) {
      const waiting = this.o.outbox.waiting();
      if (waiting === 0) {
        this.urgentPending = this.flushDue = false;
        return;
      }
      if (waiting < this.o.batchMaxItems && !this.urgentPending && !this.flushDue) return this.armFlush();
      const batch = this.o.outbox.takeBatch(this.o.batchMaxItems);
      if (!batch) return;
      if (this.o.outbox.waiting() === 0) this.urgentPending = this.flushDue = false;
      this.inFlight.push({ batch, firstSentAt: Date.now(), gapped: false });
      this.publish(batch);
    }
    // window full: what waits goes out as acks make room
  }

  private armFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushDue = true;
      this.fill();
    }, this.o.flushMs);
  }

  private publish(batch: PendingBatch, resend = false): void {
    if (!this.o.client.connected) return;
    const body = uplinkJson(this.o.gateway, this.o.outbox.stream, batch);
    this.stats.batchesSent++;
    if (resend) this.stats.resends++;
    this.o.client.publish(topics.batch(this.o.gateway), body, { qos: 1 }, (err) => {
      if (err) this.o.log.warn({ seq: batch.seq, err: err.message }, 'batch publish failed; will resend');
    });
    this.armAckTimer();
  }

  /** the batches at the head of the window the cloud answered gap: nothing unsettled is ahead of them */
  private leadingGapped(): InFlight[] {
    const due: InFlight[] = [];
    for (const f of this.inFlight) {
      if (!f.gapped) break;
      due.push(f);
    }
    return due;
  }

  private resend(batches: readonly InFlight[]): void {
    if (this.stopped) return;
    for (const f of batches) {
      f.gapped = false;
      this.publish(f.batch, true);
    }
  }

  /**
   * No progress for the ack timeout: the whole window again (go-back-N). From the second timeout
   * in a row the timeout doubles each time, up to MAX_BACKOFF× (reset by any ack), as TCP's
   * retransmission timer does: a cloud that is merely slow — a loaded database taking longer than ackTimeoutMs for a
   * full window — is not sent the same window over and over, each copy costing it a parse and a
   * dedup check while it is already behind.
   */
  private armAckTimer(): void {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (!this.inFlight.length) return;
      // the first resend keeps the configured timeout (one lost ack costs what it always did);
      // from the second timeout in a row on, each waits twice as long as the one before
      this.timeouts++;
      if (this.timeouts >= 2) this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
      this.resend(this.inFlight);
    }, this.o.ackTimeoutMs * this.backoff);
  }

  private handleAck(topic: string, payload: Buffer): void {
    if (topic !== topics.ack(this.o.gateway)) return;
    let ack: UplinkAck;
    try {
      ack = UplinkAck.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.o.log.warn('unreadable ack ignored');
      return;
    }
    if (ack.stream !== this.o.outbox.stream) return;
    const at = this.inFlight.findIndex((f) => f.batch.seq === ack.seq);
    if (at < 0) return; // stale: an ack of a resend of something already settled
    if (ack.status === 'gap') {
      this.stats.gaps++;
      this.inFlight[at]!.gapped = true;
      // Everything before it was settled meanwhile (its ack overtook this gap): due now — after
      // a breath, so a cloud that really lacks the predecessor is not answered in a tight loop.
      if (at === 0) this.gapRetry ??= setTimeout(() => { this.gapRetry = undefined; this.resend(this.leadingGapped()); }, GAP_RETRY_MS);
      if ((ack.expected ?? 0) < this.inFlight[0]!.batch.seq && !this.warnedBehind) {
        this.warnedBehind = true;
        this.o.log.warn({ seq: ack.seq, expected: ack.expected, oldestInFlight: this.inFlight[0]!.batch.seq }, 'the cloud expects a seq this gateway had settled already (its database restored from an older backup?); it takes the batch after its gap timeout');
      }
      return;
    }
    const current = this.inFlight[at]!;
    const settled = this.inFlight.splice(0, at + 1);
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.backoff = 1;
    this.timeouts = 0;
    if (ack.status === 'rejected') {
      this.stats.rejected++;
      this.o.deadLetters.add({
        source: 'uplink', topic, code: ack.error?.code ?? 'SP_ERR_UPLINK_BATCH', reason: ack.error?.message ?? 'rejected by cloud',
        payload: uplinkJson(this.o.gateway, this.o.outbox.stream, current.batch).toString('utf8'),
      });
      this.o.log.error({ seq: ack.seq, error: ack.error }, 'cloud rejected a batch; kept in dead letters');
    } else if (ack.rejectedItems) {
      // the rest of the batch is stored; the cloud keeps the refused items in its dead_letters
      this.o.log.warn({ seq: ack.seq, rejectedItems: ack.rejectedItems }, 'cloud could not store some items of a batch; kept in its dead letters');
    }
    this.stats.itemsRejected += ack.rejectedItems ?? 0;
    this.o.outbox.ack(ack.seq);
    this.stats.batchesAcked += settled.length;
    this.stats.lastAckAt = this.lastAdvanceAt = Date.now();
    this.stats.lastLatencyMs = this.stats.lastAckAt - current.firstSentAt;
    // the batches the cloud set aside as early are due now that what was ahead of them is settled
    this.resend(this.leadingGapped());
    if (this.inFlight.length) this.armAckTimer();
    this.fill();
  }
}

export function toUplinkBatch(gateway: string, stream: string, batch: { seq: number; entries: readonly OutboxEntry[] }): UplinkBatch {
  const out: UplinkBatch = { v: PROTOCOL_VERSION, gateway, stream, seq: batch.seq, sentAt: Date.now(), readings: [], alerts: [], devices: [], movements: [] };
  for (const e of batch.entries) {
    if (e.type === 'reading') out.readings.push(e.reading);
    else if (e.type === 'alert') out.alerts.push(e.alert);
    else if (e.type === 'device') out.devices.push(e.device);
    else if (e.type === 'movement') out.movements.push(e.movement);
    else out.manifest = e.manifest;
  }
  return out;
}

const NO_READINGS = '"readings":[]';

/**
 * The batch's uplink frame (JSON, UTF-8 bytes). A batch the outbox handed out in wire form (its
 * readings as JSON bytes, sqlite-batch.ts) has them put in place of the empty readings array of
 * the rest, serialised as usual: the same frame JSON.stringify(toUplinkBatch(…)) gives, without a
 * JS object per reading, and without a JS string of the whole frame (queue.ts PendingBatch.wire).
 * The first `"readings":[]` in that text is the key's: the fields before it (v, gateway, stream,
 * seq, sentAt) are numbers and escaped strings, in which a bare `"` cannot occur.
 * The first send writes the rest in place around the readings (WireForm.frameInPlace); a resend,
 * or a dead letter, copies them.
 */
export function uplinkJson(gateway: string, stream: string, batch: PendingBatch): Buffer {
  if (!batch.wire) return Buffer.from(JSON.stringify(toUplinkBatch(gateway, stream, batch)));
  const rest = JSON.stringify(toUplinkBatch(gateway, stream, { seq: batch.seq, entries: batch.wire.others }));
  const at = rest.indexOf(NO_READINGS);
  const head = `${rest.slice(0, at)}"readings":`, tail = rest.slice(at + NO_READINGS.length);
  return batch.wire.frameInPlace?.(head, tail) ?? Buffer.concat([Buffer.from(head), batch.wire.readingsJson, Buffer.from(tail)]);
}
