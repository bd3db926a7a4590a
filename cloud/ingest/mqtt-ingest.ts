import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, UplinkBatch, topics, type UplinkAck } from '../../protocols/uplink/contract.ts';
import { zodIssuesToDetails } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import { storeBatch } from './store-batch.ts';
import { recordDeadLetter } from './dead-letters.ts';
import type { CloudMetrics } from '../metrics.ts';

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
}

export class MqttIngest {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly o: IngestOptions) {}

  async start(): Promise<void> {
    this.o.client.on('message', (topic, payload) => this.enqueue(topic, payload));
    await this.o.client.subscribeAsync(topics.batchSubscription(this.o.shareGroup), { qos: 1 });
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
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch (e) {
      m.batchesRejected.inc();
      await recordDeadLetter(this.o.db, { source: `uplink:${gateway}`, topic, code: 'SP_ERR_UPLINK_BATCH', reason: `not JSON: ${(e as Error).message}`, payload });
      return; // no seq to ack: the edge times out and resends, or dead-letters it itself
    }
    const parsed = UplinkBatch.safeParse(json);
    if (!parsed.success || parsed.data.gateway !== gateway) {
      const reason = parsed.success
        ? `gateway "${parsed.data.gateway}" does not match topic gateway "${gateway}"`
        : zodIssuesToDetails(parsed.error.issues).slice(0, 10).map((d) => `${d.field}: ${d.reason}`).join('; ');
      m.batchesRejected.inc();
      await recordDeadLetter(this.o.db, { source: `uplink:${gateway}`, topic, code: 'SP_ERR_UPLINK_BATCH', reason, payload });
      const j = json as Partial<UplinkAck>;
      if (typeof j?.stream === 'string' && typeof j?.seq === 'number') {
        await this.ack({ v: PROTOCOL_VERSION, gateway, stream: j.stream, seq: j.seq, status: 'rejected', error: { code: 'SP_ERR_UPLINK_BATCH', message: reason } });
      }
      return;
    }
    const batch = parsed.data;
    const result = await storeBatch(this.o.db, batch, this.o.targets);
    if (result.status === 'committed') {
      m.batchesCommitted.inc();
      m.readingsIngested.inc(batch.readings.length);
      m.alertsIngested.inc(batch.alerts.length);
      m.batchLatencyMs.observe(performance.now() - started);
      this.o.onCommitted?.(batch, result.deliveries);
    } else {
      m.batchesDuplicate.inc();
    }
    await this.ack({ v: PROTOCOL_VERSION, gateway, stream: batch.stream, seq: batch.seq, status: result.status });
  }

  private async ack(ack: UplinkAck): Promise<void> {
    await this.o.client.publishAsync(topics.ack(ack.gateway), JSON.stringify(ack), { qos: 1 });
  }
}
