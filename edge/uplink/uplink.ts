import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, UplinkAck, topics, type UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { DeadLetterStore } from '../dead-letters.ts';
import type { OutboxQueue, OutboxEntry, PendingBatch } from '../outbox/queue.ts';

// Sends the outbox to the cloud, one batch in flight at a time (stop-and-wait keeps order and
// makes "which seq is acked" trivial). A batch is resent, unchanged, until the cloud acks it:
// committed or duplicate → dropped from the outbox; rejected → moved to the dead letters (it
// will never be accepted, and holding it would block everything behind it).
// Entries wait up to flushMs to fill a batch; an alert goes at once.

export interface UplinkOptions {
  gateway: string;
  client: MqttClient;
  outbox: OutboxQueue;
  log: Logger;
  deadLetters: DeadLetterStore;
  flushMs: number;
  batchMaxItems: number;
  ackTimeoutMs: number;
}

export interface UplinkStats {
  batchesSent: number;
  batchesAcked: number;
  resends: number;
  rejected: number;
  /** items of committed batches the cloud could not store (kept in its dead letters) */
  itemsRejected: number;
  lastAckAt?: number;
  /** ms from first send to ack of the last acked batch */
  lastLatencyMs?: number;
}

export class Uplink {
  readonly stats: UplinkStats = { batchesSent: 0, batchesAcked: 0, resends: 0, rejected: 0, itemsRejected: 0 };
  /** epoch ms of the last ack, or of start() before the first: when the stream last advanced */
  lastAdvanceAt = Date.now();
  private flushTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private inFlight: { batch: PendingBatch; firstSentAt: number } | undefined;
  private stopped = true;
  /** an alert is waiting: send the next batch without the batching wait */
  private urgentPending = false;
  private readonly onMessage = (topic: string, payload: Buffer) => this.handleAck(topic, payload);
  // Subscribed on every connect (idempotent), so a gateway that starts with the cloud
  // unreachable picks up its acks once the link appears.
  private readonly onConnect = () => {
    this.o.client.subscribeAsync(topics.ack(this.o.gateway), { qos: 1 })
      .then(() => this.sendNow(), (e: Error) => this.o.log.warn({ err: e.message }, 'ack subscription failed'));
  };

  constructor(private readonly o: UplinkOptions) {}

  /** epoch ms the batch in flight was first sent; undefined when none is */
  inFlightSince(): number | undefined {
    return this.inFlight?.firstSentAt;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.lastAdvanceAt = Date.now();
    this.o.client.on('message', this.onMessage);
    this.o.client.on('connect', this.onConnect);
    if (this.o.client.connected) {
      await this.o.client.subscribeAsync(topics.ack(this.o.gateway), { qos: 1 });
      this.sendNow();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.ackTimer);
    this.o.client.off('message', this.onMessage);
    this.o.client.off('connect', this.onConnect);
  }

  /** call after appending to the outbox; `urgent` skips the batching wait (alerts) */
  notify(urgent: boolean): void {
    if (urgent) this.urgentPending = true;
    if (this.stopped || this.inFlight) return;
    if (this.urgentPending || this.o.outbox.depth() >= this.o.batchMaxItems) return this.sendNow();
    this.flushTimer ??= setTimeout(() => { this.flushTimer = undefined; this.sendNow(); }, this.o.flushMs);
  }

  /** true when nothing is waiting to be acknowledged */
  idle(): boolean {
    return !this.inFlight && this.o.outbox.depth() === 0;
  }

  private sendNow(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.stopped || !this.o.client.connected) return;
    const batch = this.inFlight?.batch ?? this.o.outbox.nextBatch(this.o.batchMaxItems);
    if (!batch) return;
    if (this.inFlight) this.stats.resends++;
    else {
      this.inFlight = { batch, firstSentAt: Date.now() };
      this.urgentPending = false;
    }
    const body: UplinkBatch = toUplinkBatch(this.o.gateway, this.o.outbox.stream, batch);
    this.stats.batchesSent++;
    this.o.client.publish(topics.batch(this.o.gateway), JSON.stringify(body), { qos: 1 }, (err) => {
      if (err) this.o.log.warn({ seq: batch.seq, err: err.message }, 'batch publish failed; will resend');
    });
    clearTimeout(this.ackTimer);
    this.ackTimer = setTimeout(() => this.sendNow(), this.o.ackTimeoutMs);
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
    const current = this.inFlight;
    if (!current || ack.stream !== this.o.outbox.stream || ack.seq !== current.batch.seq) return; // stale ack of a resend
    clearTimeout(this.ackTimer);
    if (ack.status === 'rejected') {
      this.stats.rejected++;
      this.o.deadLetters.add({
        source: 'uplink', topic, code: ack.error?.code ?? 'SP_ERR_UPLINK_BATCH', reason: ack.error?.message ?? 'rejected by cloud',
        payload: JSON.stringify(toUplinkBatch(this.o.gateway, this.o.outbox.stream, current.batch)),
      });
      this.o.log.error({ seq: ack.seq, error: ack.error }, 'cloud rejected a batch; kept in dead letters');
    } else if (ack.rejectedItems) {
      // the rest of the batch is stored; the cloud keeps the refused items in its dead_letters
      this.o.log.warn({ seq: ack.seq, rejectedItems: ack.rejectedItems }, 'cloud could not store some items of a batch; kept in its dead letters');
    }
    this.stats.itemsRejected += ack.rejectedItems ?? 0;
    this.o.outbox.ack(ack.seq);
    this.inFlight = undefined;
    this.stats.batchesAcked++;
    this.stats.lastAckAt = this.lastAdvanceAt = Date.now();
    this.stats.lastLatencyMs = this.stats.lastAckAt - current.firstSentAt;
    if (this.o.outbox.depth() > 0) this.notify(false);
  }
}

export function toUplinkBatch(gateway: string, stream: string, batch: PendingBatch): UplinkBatch {
  const out: UplinkBatch = { v: PROTOCOL_VERSION, gateway, stream, seq: batch.seq, sentAt: Date.now(), readings: [], alerts: [], devices: [], movements: [] };
  for (const e of batch.entries as OutboxEntry[]) {
    if (e.type === 'reading') out.readings.push(e.reading);
    else if (e.type === 'alert') out.alerts.push(e.alert);
    else if (e.type === 'device') out.devices.push(e.device);
    else if (e.type === 'movement') out.movements.push(e.movement);
    else out.manifest = e.manifest;
  }
  return out;
}
