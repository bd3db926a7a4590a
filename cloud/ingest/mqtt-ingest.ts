import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatch } from '../../protocols/uplink/contract.ts';
import { parseUplinkBatch } from '../../protocols/uplink/parse.ts';
import type { Db } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import { storeBatch } from './store-batch.ts';
import { recordDeadLetter } from './dead-letters.ts';
import type { CloudMetrics } from '../metrics.ts';
import { SpError } from '../../protocols/errors.ts';

// MQTT ingest: validate → commit → ack. The ack is published only after the commit returned,
// so an edge that got an ack may forget the batch. Batches of one gateway are processed in
// arrival order (a promise chain per gateway) so an alert's raise is never stored after its clear.

export interface IngestOptions {
  db: Db;
  client: MqttClient;
  log: Logger;
  targets: readonly NotificationTarget[];
  metrics: CloudMetrics;
  /** MQTT 5 shared subscription group for running several cloud instances */
  shareGroup?: string;
  onCommitted?: (batch: UplinkBatch, deliveries: number) => void;
  /** a batch refused whole (gateway registry, seq conflict); deliveries = notifications queued for its alert */
  onRefused?: (deliveries: number) => void;
}

export class MqttIngest {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly o: IngestOptions) {}

  async start(): Promise<void> {
    this.o.client.on('message', (topic, payload) => this.enqueue(topic, payload));
    // With a share group, N instances each get a part of the batches; per-gateway order still
    // holds because the edge sends stop-and-wait (batch n+1 only after n is acked = committed),
    // and a resend that lands on another instance (this one was killed mid-batch) is the same
    // (gateway, stream, seq): committed once, acked as duplicate. No share group for the demo's
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
    if (this.o.client.connected) await this.o.client.unsubscribeAsync(topics.batchSubscription(this.o.shareGroup)).catch(() => {});
    await this.drain();
  }

  /** resolves when every batch received so far has been handled */
  async drain(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private enqueue(topic: string, payload: Buffer): void {
    const gateway = topics.gatewayFromBatchTopic(topic);
    if (!gateway) return;
    const prev = this.chains.get(gateway) ?? Promise.resolve();
    const next = prev.then(() => this.handle(gateway, topic, payload)).catch((e) => {
      this.o.log.error({ err: e, gateway }, 'batch handling failed; the edge will resend it');
    });
    this.chains.set(gateway, next);
    void next.finally(() => {
      if (this.chains.get(gateway) === next) this.chains.delete(gateway);
    });
  }

  private async handle(gateway: string, topic: string, payload: Buffer): Promise<void> {
    const m = this.o.metrics;
    const started = performance.now();
    const parsed = parseUplinkBatch(payload, gateway);
    if (!parsed.ok) {
      m.batchesRejected.inc();
      const reason = parsed.error.details.map((d) => `${d.field}: ${d.reason}`).join('; ');
      await recordDeadLetter(this.o.db, { source: `uplink:${gateway}`, topic, code: parsed.error.code, reason, payload });
      // Without a readable stream/seq there is nothing to ack: the edge resends until its own
      // dead-letter rule takes the batch out of its queue.
      if (parsed.stream !== undefined && parsed.seq !== undefined) {
        await this.ack({ v: PROTOCOL_VERSION, gateway, stream: parsed.stream, seq: parsed.seq, status: 'rejected', error: { code: parsed.error.code, message: reason } });
      }
      return;
    }
    const batch = parsed.batch;
    const result = await storeBatch(this.o.db, batch, this.o.targets);
    if (result.status === 'committed') {
      m.batchesCommitted.inc();
      m.readingsIngested.inc(result.readingsStored);
      m.readingsDuplicate.inc(result.stored.readings.length - result.readingsStored);
      m.alertsIngested.inc(batch.alerts.length);
      m.batchLatencyMs.observe(performance.now() - started);
      this.o.onCommitted?.(result.stored, result.deliveries);
    } else if (result.status === 'rejected') {
      // refused whole by the gateway registry or the seq check (gateway-policy.ts): kept, alerted
      m.batchesRejected.inc();
      const reason = result.error.details.map((d) => `${d.field}: ${d.reason}`).join('; ');
      await recordDeadLetter(this.o.db, { source: `uplink:${gateway}`, topic, code: result.error.code, reason, payload });
      this.o.onRefused?.(result.deliveries);
      await this.ack({ v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq, status: 'rejected', error: { code: result.error.code, message: reason } });
      return;
    } else {
      m.batchesDuplicate.inc();
    }
    await this.ack({ v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq, status: result.status });
  }

  private async ack(ack: UplinkAck): Promise<void> {
    await this.o.client.publishAsync(topics.ack(ack.gateway), JSON.stringify(ack), { qos: 1 });
  }
}
