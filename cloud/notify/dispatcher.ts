import type { Logger } from 'pino';
import type { Db } from '../db/engine.ts';
import { backoffDelay } from '../../protocols/driver.ts';

// Sends pending notification deliveries. Rows are claimed with FOR UPDATE SKIP LOCKED and a
// short lease (next_attempt_at pushed ahead), so several cloud instances can run dispatchers
// without sending one delivery twice in the normal case; a crash mid-send retries after the lease.

export interface MqttPublisher {
  publish(topic: string, payload: string): Promise<void>;
}

interface DueRow {
  id: number;
  alert_id: string;
  channel: 'webhook' | 'mqtt';
  target: string;
  payload: { topic?: string } & Record<string, unknown>;
  attempts: number;
}

export interface DispatcherOptions {
  db: Db;
  log: Logger;
  mqtt?: MqttPublisher;
  pollMs?: number;
  maxAttempts?: number;
  webhookTimeoutMs?: number;
}

const LEASE_SEC = 30;

export class NotificationDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** ask for a pass now (after an ingest created deliveries) */
  kick(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(() => undefined, (e) => this.o.log.warn({ err: e }, 'notification pass failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.again ? 0 : this.o.pollMs ?? 1000);
          this.again = false;
        });
    }, ms);
  }

  /** one pass over due deliveries; returns how many were attempted */
  async pass(): Promise<number> {
    const due = await this.o.db.query<DueRow>(
      `UPDATE notification_deliveries SET next_attempt_at = now() + interval '${LEASE_SEC} seconds'
       WHERE id IN (SELECT id FROM notification_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED)
       RETURNING id, alert_id, channel, target, payload, attempts`,
    );
    await Promise.all(due.map((d) => this.attempt(d)));
    return due.length;
  }

  private async attempt(d: DueRow): Promise<void> {
    const attempts = d.attempts + 1;
    try {
      if (d.channel === 'webhook') await this.postWebhook(d.target, d.payload);
      else await this.publishMqtt(d.payload);
      await this.o.db.query(
        `UPDATE notification_deliveries SET status = 'sent', attempts = $2, sent_at = now(), last_error = NULL WHERE id = $1`,
        [d.id, attempts],
      );
    } catch (e) {
      const max = this.o.maxAttempts ?? 10;
      const finalFailure = attempts >= max;
      const retryMs = backoffDelay(attempts, { baseMs: 1000, maxMs: 300_000 });
      await this.o.db.query(
        `UPDATE notification_deliveries SET status = $2, attempts = $3, last_error = $4,
           next_attempt_at = now() + ($5::float8 * interval '1 millisecond') WHERE id = $1`,
        [d.id, finalFailure ? 'failed' : 'pending', attempts, (e as Error).message.slice(0, 500), retryMs],
      );
      this.o.log.warn({ delivery: d.id, alert: d.alert_id, channel: d.channel, attempts, finalFailure, err: (e as Error).message },
        finalFailure ? 'notification failed for good' : 'notification failed, will retry');
    }
  }

  private async postWebhook(url: string, payload: unknown): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'stockpulse-notifier' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.o.webhookTimeoutMs ?? 5000),
    });
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
    await res.arrayBuffer().catch(() => undefined);
  }

  private async publishMqtt(payload: DueRow['payload']): Promise<void> {
    if (!this.o.mqtt) throw new Error('no MQTT connection for alert topic');
    const { topic, ...body } = payload;
    if (!topic) throw new Error('delivery payload has no topic');
    await this.o.mqtt.publish(topic, JSON.stringify(body));
  }
}
