import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatch } from '../../protocols/uplink/contract.ts';
import { parseUplinkBatch } from '../../protocols/uplink/parse.ts';
import type { Db } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import type { DueDelivery } from '../notify/deliveries.ts';
import { storeBatch } from './store-batch.ts';
import { recordDeadLetter } from './dead-letters.ts';
import type { CloudMetrics } from '../metrics.ts';
import { SpError } from '../../protocols/errors.ts';
import { escapeUnstorable, cleanText } from '../../protocols/text.ts';
import { classifyStoreFault, faultCode } from './store-fault.ts';
import { storeBatchItemwise, type ItemFailure } from './store-itemwise.ts';
import { salvageUplinkBatch } from '../../protocols/uplink/salvage.ts';
import { StreamProgress, type UplinkHealth } from './stream-progress.ts';
import { clearCloudAlerts, raiseCloudAlerts } from '../notify/alerts.ts';
import type { IngestSettings } from './store-movements.ts';
import { GroupCommitter } from './group-commit.ts';
import { plain } from './store-group.ts';
import { StreamOrder, recordDecided, streamKey } from './stream-order.ts';

// MQTT ingest: validate → commit → ack. The ack is published only after the commit returned,
// so an edge that got an ack may forget the batch. Batches of one gateway are processed in
// arrival order (a promise chain per gateway), and a stream's batches are decided strictly in
// seq order (stream-order.ts: one that overtook its predecessor is answered `gap`), so an
// alert's raise is never stored after its clear, however many batches the edge has in flight.
//
// No poison batch (issue #11): a commit that fails is classified (store-fault.ts). The database
// being unreachable → no ack, the edge resends. A fault that will not change on resend (or a
// passing one that keeps coming back) → the batch is stored item by item (store-itemwise.ts),
// the items the database refuses go to dead_letters with their reason, and the batch is acked,
// so the stream goes on. Every attempt is counted per (gateway, stream, seq) (stream-progress.ts):
// /api/health reports the oldest batch not yet acked, and a gateway whose stream stays stuck
// past the threshold gets an `uplink_stalled` alert, cleared when it advances again.

export interface IngestOptions {
  db: Db;
  client: MqttClient;
  log: Logger;
  targets: readonly NotificationTarget[];
  metrics: CloudMetrics;
  /** MQTT 5 shared subscription group for running several cloud instances */
  shareGroup?: string;
  /** leased: with leaseDeliveries, the deliveries of its alerts, leased to this instance (to hand to its dispatcher: dispatcher.ts send) */
  onCommitted?: (batch: UplinkBatch, deliveries: number, leased: readonly DueDelivery[]) => void;
  /** insert the deliveries of a batch's alerts already leased and pass them to onCommitted (store-batch.ts StoreOptions) */
  leaseDeliveries?: boolean;
  /** a batch not acked this long (s) marks its gateway's stream stalled (health degraded, alert); default 120 */
  stallAfterSec?: number;
  /** rule settings from the cloud config (count drift tolerance); default: the config's defaults */
  settings?: IngestSettings;
  /** a batch failing as a whole for a passing reason (deadlock, timeout) is retried this often before it is stored item by item; default 5 */
  maxRetries?: number;
  /** cloud-raised alerts (uplink_stalled) were queued for notification */
  kick?: () => void;
  /** a batch refused whole (gateway registry, seq conflict); deliveries = notifications queued for its alert */
  onRefused?: (deliveries: number) => void;
  /** a batch waiting this long (ms) for a predecessor that never comes is taken anyway (stream-order.ts); default 30 s */
  gapGiveUpMs?: number;
  /** commit batches of different gateways that arrive together in one transaction (group-commit.ts); off when absent here (the cloud sets it from STOCKPULSE_INGEST_GROUP_MAX, default on); false = one transaction per batch */
  groupCommit?: boolean | { maxBatches?: number; maxReadings?: number; concurrency?: number };
  /** plain batches (readings only) of one stream stored at once (see handle); default here 1 = one after the other, each decided in seq order (the cloud passes STOCKPULSE_INGEST_OVERLAP, default 8) */
  overlap?: number;
}

export const DEFAULT_STALL_AFTER_SEC = 120;

export class MqttIngest {
  private readonly chains = new Map<string, Promise<void>>();
  /**
   * Per gateway: settles once every batch taken so far has been decided and its ack published
   * (or withheld). A batch's ack waits for it: acks are cumulative at the edge, so ack n may go
   * out only after every batch before n of the stream was decided.
   */
  private readonly ackTails = new Map<string, Promise<void>>();
  /** per gateway: plain batches whose store runs while the chain has moved on (overlap) */
  private readonly overlapping = new Map<string, Promise<unknown>[]>();
  /** per stream: the lowest seq whose store failed (no ack) and that nothing has decided since; acks above it are withheld */
  private readonly blockedFrom = new Map<string, number>();
  /** acks published and not yet PUBACKed by the broker */
  private readonly acking = new Set<Promise<void>>();
  /** batches received and not yet acked, attempts, per-gateway progress */
  readonly progress: StreamProgress;
  /** gateway → id of its active uplink_stalled alert */
  private readonly stalledAlerts = new Map<string, string>();
  private stallTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly group: GroupCommitter | undefined;
  private readonly order: StreamOrder;

  constructor(private readonly o: IngestOptions) {
    this.progress = new StreamProgress((o.stallAfterSec ?? DEFAULT_STALL_AFTER_SEC) * 1000);
    this.order = new StreamOrder(o.db, o.gapGiveUpMs);
    // on by default (STOCKPULSE_INGEST_GROUP_MAX 64; 1 = one transaction per batch): with the
    // set-based path for plain batches (store-group.ts) it measured ahead of one transaction per
    // batch at 50 and at 500 gateways (bench/fleet.ts; docs/capacity.md)
    if (o.groupCommit) {
      this.group = new GroupCommitter({ db: o.db, targets: o.targets, metrics: o.metrics, settings: o.settings, store: { lease: o.leaseDeliveries }, ...(typeof o.groupCommit === 'object' ? o.groupCommit : {}) });
    }
  }

  /** what /api/health shows of the uplink streams */
  health(): UplinkHealth {
    return this.progress.health();
  }

  async start(): Promise<void> {
    this.o.client.on('message', (topic, payload) => this.enqueue(topic, payload));
    const every = Math.max(200, Math.min(5000, ((this.o.stallAfterSec ?? DEFAULT_STALL_AFTER_SEC) * 1000) / 4));
    this.stallTimer = setInterval(() => { this.checking ??= this.checkStalls().finally(() => { this.checking = undefined; }); }, every);
    this.stallTimer.unref();
    // With a share group, N instances each get a part of the batches; per-stream order still
    // holds because a batch whose predecessor no instance has decided is answered `gap`
    // (stream-order.ts), and a resend that lands on another instance (this one was killed
    // mid-batch) is the same (gateway, stream, seq): committed once, acked as duplicate. No share group for the demo's
    // aedes broker: it implements neither MQTT 5 nor `$share`.
    const topic = topics.batchSubscription(this.o.shareGroup);
    // A broker that refuses the filter (0x80, 0x9E "shared subscriptions not supported") must
    // stop the start: otherwise the instance looks healthy and never ingests anything.
    const refused = (why: string) => new SpError('SP_ERR_CONFIG', {
      field: this.o.shareGroup ? 'STOCKPULSE_SHARE_GROUP' : 'MQTT_URL',
      reason: `the broker refused the subscription ${topic} (${why})${this.o.shareGroup ? '; does it support MQTT 5 shared subscriptions?' : ''}`,
    });
    const granted = await this.o.client.subscribeAsync(topic, { qos: 1 }).catch((e: Error) => { throw refused(e.message); });
    const bad = granted.find((g) => g.qos >= 0x80);
    if (bad) throw refused(`reason 0x${bad.qos.toString(16)}`);
  }

  /** stops taking batches and waits for the ones in hand to be committed and acked */
  async stop(): Promise<void> {
    clearInterval(this.stallTimer);
    await this.checking;
    if (this.o.client.connected) await this.o.client.unsubscribeAsync(topics.batchSubscription(this.o.shareGroup)).catch(() => {});
    await this.drain();
  }

  /** resolves when every batch received so far has been handled */
  async drain(): Promise<void> {
    await Promise.all([...this.chains.values()]);
    await Promise.all([...this.ackTails.values()]);
    await Promise.all([...this.acking]);
  }

  private enqueue(topic: string, payload: Buffer): void {
    const gateway = topics.gatewayFromBatchTopic(topic);
    if (!gateway) return;
    // parsed on arrival, outside the chain: with the edge's window the next batch is read while
    // the one ahead of it commits (the order of decisions is the chain's, not the parse's)
    const parsed = parseUplinkBatch(payload, gateway);
    const prev = this.chains.get(gateway) ?? Promise.resolve();
    const next = prev.then(() => this.handle(gateway, topic, payload, parsed)).catch((e) => {
      this.o.log.error({ err: e, gateway }, 'batch handling failed; the edge will resend it');
    });
    this.chains.set(gateway, next);
    void next.finally(() => {
      if (this.chains.get(gateway) === next) this.chains.delete(gateway);
    });
  }

  private async handle(gateway: string, topic: string, payload: Buffer, parsed: ReturnType<typeof parseUplinkBatch>): Promise<void> {
    const m = this.o.metrics;
    const started = performance.now();
    // Overlap (issue #12, the drain after an outage): a plain batch — readings only, nothing
    // refused by the contract — is stored while the chain goes on to the next one, up to
    // `overlap` of one gateway at a time; with group commit they wait in the committer together,
    // which commits them in seq order, a run of big ones in one transaction (group-commit.ts
    // take). Without it their transactions run side by side. Readings are order-free (unique
    // (sensor, ts), the latest value guarded by its timestamp, last_seq by greatest()), so only
    // the ACKS must keep seq order:
    // each waits for the ack of the batch before it, and none goes out above a batch whose store
    // failed (the edge resends from there). Everything else — alerts, movements, devices, a
    // manifest, a salvaged or refused batch — waits until every batch before it was decided, so
    // an alert's raise is still stored before its clear.
    if (parsed.ok && isPlain(parsed.batch) && (this.o.overlap ?? 1) > 1) return this.handlePlain(gateway, topic, payload, parsed.batch, started);
    await this.ackTails.get(gateway);
    const ids = parsed.ok ? parsed.batch : parsed;
    if (ids.stream !== undefined && ids.seq !== undefined && await this.withheld(gateway, ids.stream, ids.seq)) return this.gapAck(gateway, ids.stream, ids.seq);
    let batch: UplinkBatch;
    let invalid: ItemFailure[] = [];
    if (parsed.ok) batch = parsed.batch;
    else {
      // one item breaking the contract must not cost the batch around it (salvage.ts); a batch
      // over the size caps is refused unread (parse.ts), so nothing is salvaged from it either
      const tooLarge = parsed.error.code === 'SP_ERR_TOO_LARGE';
      const salvaged = tooLarge ? undefined : salvageUplinkBatch(payload, gateway);
      if (!salvaged || itemCount(salvaged.batch) === 0) {
        m.batchesRejected.inc();
        const reason = cleanText(parsed.error.details.map((d) => `${d.field}: ${d.reason}`).join('; '));
        // kept whole, but as storable text: a NUL in the frame must not fail its own dead letter
        // (an oversized one as its bytes: the store keeps a prefix with the size and digest)
        await recordDeadLetter(this.o.db, { source: `uplink:${gateway}`, topic, code: parsed.error.code, reason, payload: tooLarge ? payload : escapeUnstorable(payload.toString('utf8')) });
        // Without a readable stream/seq there is nothing to ack: the edge resends until its own
        // dead-letter rule takes the batch out of its queue.
        if (parsed.stream !== undefined && parsed.seq !== undefined) {
          await this.decidedWithoutCommit(gateway, parsed.stream, parsed.seq);
          this.ack({ v: PROTOCOL_VERSION, gateway, stream: parsed.stream, seq: parsed.seq, status: 'rejected', error: { code: parsed.error.code, message: reason } });
        }
        return;
      }
      batch = salvaged.batch;
      invalid = salvaged.invalid.map((i) => ({ ...i, cause: 'contract' }));
    }
    const attempts = await this.mayDecide(gateway, batch);
    if (!attempts) return;
    let ack: UplinkAck;
    try {
      ack = await this.decide(gateway, topic, payload, batch, invalid, started, attempts);
    } catch (e) {
      this.block(gateway, batch.stream, batch.seq);
      throw e;
    }
    this.ack(ack);
    if (this.stalledAlerts.has(gateway)) void this.checkStalls();
  }

  /**
   * true when this seq's ack must not go out: a batch before it in the stream failed to store
   * here and nothing has decided it since. A resend of the failed batch may have gone to another
   * instance (shared subscription): the database says whether its key is there now.
   */
  private async withheld(gateway: string, stream: string, seq: number): Promise<boolean> {
    const key = streamKey(gateway, stream);
    const blocked = this.blockedFrom.get(key);
    if (blocked === undefined || seq < blocked) return false;
    if (seq > blocked) {
      const [done] = await this.o.db.query('SELECT 1 FROM uplink_batches WHERE gateway = $1 AND stream = $2 AND seq = $3', [gateway, stream, blocked]).catch(() => []);
      if (!done) return true;
    }
    // the failed batch itself (its resend), or decided elsewhere meanwhile
    if (this.blockedFrom.get(key) === blocked) this.blockedFrom.delete(key);
    return false;
  }

  /** answered `gap` (not cumulative: settles nothing at the edge), expecting the batch that failed */
  private gapAck(gateway: string, stream: string, seq: number): void {
    this.o.metrics.batchesGap.inc();
    this.ack({ v: PROTOCOL_VERSION, gateway, stream, seq, status: 'gap', expected: this.blockedFrom.get(streamKey(gateway, stream)) });
  }

  /** this seq failed to store: no ack above it until it is decided */
  private block(gateway: string, stream: string, seq: number): void {
    const key = streamKey(gateway, stream);
    const blocked = this.blockedFrom.get(key);
    if (blocked === undefined || seq < blocked) this.blockedFrom.set(key, seq);
  }

  /** the order check (stream-order.ts): the batch's attempts so far, or 0 when it was answered `gap` */
  private async mayDecide(gateway: string, batch: UplinkBatch): Promise<number> {
    const attempts = this.progress.arrived(gateway, batch.stream, batch.seq);
    const order = await this.order.check(gateway, batch.stream, batch.seq, this.progress.firstArrival(gateway, batch.stream, batch.seq) ?? Date.now());
    if (!order.next) {
      // overtook its predecessor (the edge's window, or another instance still committing it)
      this.o.metrics.batchesGap.inc();
      this.ack({ v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq, status: 'gap', expected: order.expected });
      return 0;
    }
    if (order.skipped) this.o.log.error({ gateway, stream: batch.stream, seq: batch.seq, skipped: order.skipped }, 'a batch waited past the gap timeout for predecessors that never came; taken anyway (were they lost by a restored database?)');
    return attempts;
  }

  /** a plain batch: stored beside its neighbours, acked in seq order (see handle) */
  private async handlePlain(gateway: string, topic: string, payload: Buffer, batch: UplinkBatch, started: number): Promise<void> {
    const running = this.overlapping.get(gateway) ?? [];
    // at most `overlap` of this gateway's stores at once: the chain waits for the oldest
    while (running.length >= (this.o.overlap ?? 1)) await running[0];
    const attempts = await this.mayDecide(gateway, batch);
    if (!attempts) return;
    // the next seq may be decided now (the order check passes it): this one is under way
    this.order.decided(gateway, batch.stream, batch.seq);
    // settled into a value at once: a store failing before the acks ahead of it are out must not
    // be an unhandled rejection
    const work = this.decide(gateway, topic, payload, batch, [], started, attempts).then((ack) => ({ ack }), (error: unknown) => ({ error }));
    const prior = this.ackTails.get(gateway) ?? Promise.resolve();
    const tail = prior.then(() => work).then(
      async (done) => {
        if ('error' in done) throw done.error;
        const { ack } = done;
        // stored, but a batch before it was not: not acked (its resend is acked as a duplicate)
        if (await this.withheld(gateway, batch.stream, batch.seq)) return this.gapAck(gateway, batch.stream, batch.seq);
        this.ack(ack);
        if (this.stalledAlerts.has(gateway)) void this.checkStalls();
      },
    ).catch(
      (e: unknown) => {
        // not stored (the database unreachable, a passing fault): no ack for it nor for any batch after it
        this.block(gateway, batch.stream, batch.seq);
        this.o.log.error({ err: e, gateway, seq: batch.seq }, 'batch handling failed; the edge will resend it');
      },
    );
    this.ackTails.set(gateway, tail);
    void tail.finally(() => { if (this.ackTails.get(gateway) === tail) this.ackTails.delete(gateway); });
    running.push(tail);
    this.overlapping.set(gateway, running);
    void tail.finally(() => {
      running.splice(running.indexOf(tail), 1);
      if (!running.length && this.overlapping.get(gateway) === running) this.overlapping.delete(gateway);
    });
  }

  /**
   * Stores the batch and returns the ack to publish: committed, duplicate or rejected (its
   * refused items dead-lettered). Throws when nothing may be acked (the edge resends).
   */
  private async decide(gateway: string, topic: string, payload: Buffer, batch: UplinkBatch, invalid: ItemFailure[], started: number, attempts: number): Promise<UplinkAck> {
    const m = this.o.metrics;
    let ack: UplinkAck;
    try {
      // with group commit: committed with other gateways' batches in one transaction, this one
      // under its own savepoint (a failure of its own falls back to storeBatch alone)
      const result = await (this.group ? this.group.store(batch) : storeBatch(this.o.db, batch, this.o.targets, this.o.settings, { lease: this.o.leaseDeliveries }));
      if (result.status === 'committed') this.committed(result.stored, result.readingsStored, result.deliveries, started, result.leased);
      else if (result.status === 'duplicate') m.batchesDuplicate.inc();
      ack = result.status === 'rejected'
        ? await this.refused(gateway, topic, payload, batch, result)
        : { v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq, status: result.status,
          // items the gateway may not send (gateway-policy.ts): refused alone, kept in dead letters
          ...(result.status === 'committed' && result.refused.length ? { rejectedItems: result.refused.length } : {}) };
    } catch (e) {
      const fault = classifyStoreFault(e);
      m.batchFailures.inc({ fault });
      if (fault === 'connection' || (fault === 'retryable' && attempts < (this.o.maxRetries ?? 5))) {
        this.o.log.warn({ gateway, stream: batch.stream, seq: batch.seq, attempts, fault, code: faultCode(e), err: (e as Error).message }, 'batch not stored; the edge will resend it');
        throw e; // no ack
      }
      this.o.log.warn({ gateway, stream: batch.stream, seq: batch.seq, attempts, fault, code: faultCode(e), err: (e as Error).message }, 'batch refused as a whole; storing it item by item');
      ack = await this.storeItemwise(gateway, topic, payload, batch, started);
    }
    // the contract's refusals (salvage.ts), unless the whole payload was kept already
    if (invalid.length && ack.status !== 'duplicate' && !(ack.status === 'rejected' && ack.rejectedItems === undefined)) {
      await this.deadLetterItems(gateway, topic, batch, invalid);
      ack = { ...ack, rejectedItems: (ack.rejectedItems ?? 0) + invalid.length };
    }
    // decided (committed, duplicate or rejected): the stream advanced, even if this ack is lost
    // (the resend will be acked as a duplicate)
    if (ack.status === 'rejected') await this.decidedWithoutCommit(gateway, batch.stream, batch.seq);
    else this.order.decided(gateway, batch.stream, batch.seq);
    this.progress.acked(gateway, batch.stream, batch.seq);
    return ack;
  }

  private committed(batch: UplinkBatch, readingsStored: number, deliveries: number, started: number, leased: readonly DueDelivery[] = []): void {
    const m = this.o.metrics;
    m.batchesCommitted.inc();
    m.readingsIngested.inc(readingsStored);
    m.readingsDuplicate.inc(batch.readings.length - readingsStored);
    m.alertsIngested.inc(batch.alerts.length);
    m.batchLatencyMs.observe(performance.now() - started);
    this.o.onCommitted?.(batch, deliveries, leased);
  }

  /** the good items committed, each refused one dead-lettered with its reason; the ack to send */
  private async storeItemwise(gateway: string, topic: string, payload: Buffer, batch: UplinkBatch, started: number): Promise<UplinkAck> {
    const m = this.o.metrics;
    const ids = { v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq } as const;
    const source = `uplink:${gateway}`;
    let r: Awaited<ReturnType<typeof storeBatchItemwise>>;
    try {
      r = await storeBatchItemwise(this.o.db, batch, this.o.targets, this.o.settings);
    } catch (e) {
      if (classifyStoreFault(e) === 'connection') throw e; // nothing can be stored now: no ack
      // not even the batch key could be written: the batch is refused whole, and kept whole
      const message = cleanText(`SQLSTATE ${faultCode(e) ?? 'unknown'}: ${(e as Error).message}`, 1000);
      await recordDeadLetter(this.o.db, { source, topic, code: 'SP_ERR_UPLINK_BATCH', reason: message, payload: escapeUnstorable(payload.toString('utf8')) });
      m.batchesRejected.inc();
      return { ...ids, status: 'rejected', error: { code: 'SP_ERR_UPLINK_BATCH', message } };
    }
    if (r.status === 'duplicate') {
      m.batchesDuplicate.inc();
      return { ...ids, status: 'duplicate' };
    }
    if (r.status === 'rejected') return this.refused(gateway, topic, payload, batch, r);
    await this.deadLetterItems(gateway, topic, batch, r.failures);
    const notStored = r.failures.length + (r.refused?.length ?? 0);
    const rejectedItems = notStored ? { rejectedItems: notStored } : {};
    if (r.items > 0 && r.failures.length === r.items) {
      m.batchesRejected.inc();
      return { ...ids, status: 'rejected', ...rejectedItems, error: { code: 'SP_ERR_UPLINK_BATCH', message: `none of the ${r.items} items could be stored (kept in dead_letters): ${r.failures[0]!.reason}` } };
    }
    this.committed(r.stored, r.readingsStored, r.deliveries, started);
    return { ...ids, status: 'committed', ...rejectedItems };
  }

  /** refused whole by the gateway registry or the seq check (gateway-policy.ts): kept whole, alerted */
  private async refused(gateway: string, topic: string, payload: Buffer, batch: UplinkBatch, r: { error: SpError; deliveries: number }): Promise<UplinkAck> {
    this.o.metrics.batchesRejected.inc();
    const reason = r.error.details.map((d) => `${d.field}: ${d.reason}`).join('; ');
    await recordDeadLetter(this.o.db, { source: `uplink:${gateway}`, topic, code: r.error.code, reason, payload });
    this.o.onRefused?.(r.deliveries);
    return { v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq, status: 'rejected', error: { code: r.error.code, message: reason } };
  }

  /**
   * Each refused item kept with its reason. After the commit: a crash right here loses these
   * dead letters (the resend is a duplicate), never a good item. JSON.stringify escapes NUL and
   * lone surrogates, so the payload is storable text.
   */
  private async deadLetterItems(gateway: string, topic: string, batch: UplinkBatch, failures: readonly ItemFailure[]): Promise<void> {
    for (const f of failures) {
      await recordDeadLetter(this.o.db, {
        source: `uplink:${gateway}`, topic, code: 'SP_ERR_UPLINK_BATCH',
        reason: cleanText(`${f.kind}.${f.index}: ${f.cause}: ${f.reason}`, 2000),
        payload: JSON.stringify({ gateway, stream: batch.stream, seq: batch.seq, item: `${f.kind}.${f.index}`, value: f.item }),
      });
    }
    this.o.metrics.itemsRejected.inc(failures.length);
  }

  /** raises uplink_stalled for gateways stuck past the threshold, clears it for those that advanced */
  private async checkStalls(): Promise<void> {
    const h = this.progress.health();
    this.o.metrics.uplinkOldestUnackedSec.set(h.oldestUnackedSec);
    this.o.metrics.uplinkStalledGateways.set(h.stalled.length);
    const now = new Date();
    try {
      for (const g of h.gateways) {
        const active = this.stalledAlerts.get(g.gateway);
        if (g.stalled && !active) {
          const id = `uplink_stalled:${g.gateway}:${g.stalledSince}`;
          await this.o.db.tx((q) => raiseCloudAlerts(q, [{
            id, zone: `gateway:${g.gateway}`, rule: 'uplink_stalled', severity: 'critical', value: g.oldestUnackedSec,
            message: `gateway ${g.gateway}: its uplink stream has not advanced for ${Math.round(g.oldestUnackedSec)} s (${g.attempts} attempts at its oldest batch); nothing newer from it is stored`,
          }], now, { targets: this.o.targets }));
          this.stalledAlerts.set(g.gateway, id);
          this.o.kick?.();
          this.o.log.error({ gateway: g.gateway, oldestUnackedSec: g.oldestUnackedSec, attempts: g.attempts }, 'uplink stalled');
        } else if (!g.stalled && active) {
          await clearCloudAlerts(this.o.db, [active], now);
          this.stalledAlerts.delete(g.gateway);
          this.o.log.info({ gateway: g.gateway }, 'uplink advancing again');
        }
      }
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'uplink_stalled alert not written (database unavailable?); tried again at the next check');
    }
  }

  /** a rejected batch moves its stream on too (stream-order.ts), here and for the other instances */
  private async decidedWithoutCommit(gateway: string, stream: string, seq: number): Promise<void> {
    this.order.decided(gateway, stream, seq);
    await recordDecided(this.o.db, gateway, stream, seq);
  }

  /**
   * Published, not awaited: the gateway's next batch need not wait for the broker's PUBACK of this
   * ack (one more round trip per batch in its chain). MQTT keeps a connection's publishes in
   * order; an ack lost with the connection means a resend, answered `duplicate`.
   */
  private ack(ack: UplinkAck): void {
    const sent = this.o.client.publishAsync(topics.ack(ack.gateway), JSON.stringify(ack), { qos: 1 }).then(
      () => {}, (e: Error) => this.o.log.warn({ gateway: ack.gateway, seq: ack.seq, err: e.message }, 'ack not published; the gateway will resend the batch'));
    this.acking.add(sent);
    void sent.finally(() => this.acking.delete(sent));
  }
}

/** readings only: what may be stored beside its neighbours (handle) */
const isPlain = (b: UplinkBatch): boolean => plain(b) && b.readings.length > 0;

/** items a batch carries (its manifest counts as one) */
function itemCount(b: UplinkBatch): number {
  return (b.manifest ? 1 : 0) + b.readings.length + b.alerts.length + b.devices.length + b.movements.length;
}
