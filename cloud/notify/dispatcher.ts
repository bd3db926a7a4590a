import type { Logger } from 'pino';
import type { Db } from '../db/engine.ts';
import { backoffDelay } from '../../protocols/driver.ts';
import { ContactSender, type SmtpSettings } from './senders.ts';
import { escalationPass, type EscalationOptions } from './escalation.ts';
import { isRecordOnly } from './targets.ts';
import { INCIDENT_ACKED_SQL } from './incidents.ts';
import { SpError } from '../../protocols/errors.ts';
import { postWebhook } from './post-json.ts';
import { DELIVERY_LEASE_SEC, DUE_DELIVERY_COLUMNS, type DueDelivery } from './deliveries.ts';

// Sends pending notification deliveries. Rows are claimed with FOR UPDATE SKIP LOCKED and a
// short lease (next_attempt_at pushed ahead), so several cloud instances can run dispatchers
// without sending one delivery twice in the normal case; a crash mid-send retries after the lease.
//
// Its loop is also the one scheduler of the escalation pass (escalation.ts): every few seconds,
// so a new alert reaches its first contact within seconds and an escalation due at minute N goes
// out within seconds of it. (There used to be a second path, a one-minute job running the same
// pass; one scheduler is one thing to reason about.)
//
// The direct path (send): the ingest inserts an alert's deliveries already leased to this instance
// (deliveries.ts queueTargetDeliveries leaseTo) and hands the rows over after its COMMIT; they are
// attempted at once, with no claim query, no timer hop and no waiting behind a running pass (whose
// slow webhook or escalation pass would hold a kicked pass back) — the alarm path, issue #12.
// Chosen over a kick that starts a pass synchronously because that still costs the claim's round
// trip and still queues behind a running pass. It is safe for the same reason the claim is: a
// leased row is due only when its lease runs out, so no pass of any instance takes it meanwhile,
// and if this process dies (or stops) before sending, the lease runs out and any instance's
// normal pass sends it (at least once). The attempt itself is the same code as a pass's.

export interface MqttPublisher {
  publish(topic: string, payload: string): Promise<void>;
}

type DueRow = DueDelivery;

export interface DispatcherOptions {
  db: Db;
  log: Logger;
  mqtt?: MqttPublisher;
  pollMs?: number;
  maxAttempts?: number;
  webhookTimeoutMs?: number;
  /** extra headers for a configured webhook (the demo's own inbox needs its admin token); never stored with the delivery */
  webhookHeaders?: (url: string) => Record<string, string> | undefined;
  /** SMTP for e-mail contacts */
  smtp?: SmtpSettings;
  /** ms clock (DingTalk signing timestamps) */
  clock?: () => number;
  /**
   * run the routing/escalation pass (escalation.ts) from the dispatcher loop at most every
   * everyMs (default 5000) so a new alert reaches its first contact within seconds; false = off
   * (tests that drive escalationPass with their own clock)
   */
  escalation?: false | (EscalationOptions & { everyMs?: number });
}

/** every attempt on record (notification_attempts), shown by GET /api/notifications/deliveries */
const RECORD_ATTEMPT = 'INSERT INTO notification_attempts (delivery_id, attempt, ok, error, duration_ms)';

export class NotificationDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;
  private lastEscalation = 0;
  /** attempts of the direct path still running (stop waits for them) */
  private readonly direct = new Set<Promise<void>>();
  private readonly contacts: ContactSender;

  constructor(private readonly o: DispatcherOptions) {
    this.contacts = new ContactSender({ db: o.db, smtp: o.smtp, clock: o.clock, timeoutMs: o.webhookTimeoutMs });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** ask for a pass now (after an ingest created deliveries) */
  kick(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /**
   * Sends deliveries this instance leased in a transaction that has committed (the direct path,
   * above), without waiting for a pass. Stopped: left to their lease, and to whichever pass runs next.
   */
  send(leased: readonly DueRow[]): void {
    if (this.stopped) return;
    for (const d of leased) {
      const p: Promise<void> = this.attempt(d)
        .catch((e: unknown) => this.o.log.warn({ delivery: d.id, err: (e as Error).message }, 'direct notification attempt failed; its lease runs out and a pass retries it'))
        .finally(() => this.direct.delete(p));
      this.direct.add(p);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.direct]);
    this.contacts.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined, (e) => this.o.log.warn({ err: e }, 'notification pass failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.again ? 0 : this.o.pollMs ?? 1000);
          this.again = false;
        });
    }, ms);
  }

  /**
   * The loop's step: sending first — an alarm an ingest just queued must not wait behind the
   * escalation pass (issue #12: alarm latency) — then, when it is due, the escalation pass and
   * a second send for what it queued.
   */
  private async tick(): Promise<void> {
    await this.pass();
    const esc = this.o.escalation;
    const now = (this.o.clock ?? Date.now)();
    if (esc !== false && now - this.lastEscalation >= (esc?.everyMs ?? 5000)) {
      this.lastEscalation = now;
      await escalationPass(this.o.db, new Date(now), esc ?? {})
        .catch((e) => this.o.log.warn({ err: (e as Error).message }, 'escalation pass failed'));
      await this.pass();
    }
  }

  /** one pass over due deliveries; returns how many were attempted */
  async pass(): Promise<number> {
    const due = await this.o.db.query<DueRow>(
      `UPDATE notification_deliveries SET next_attempt_at = now() + interval '${DELIVERY_LEASE_SEC} seconds'
       WHERE id IN (SELECT id FROM notification_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED)
       RETURNING ${DUE_DELIVERY_COLUMNS}`,
    );
    await Promise.all(due.map((d) => this.attempt(d)));
    return due.length;
  }

  private async attempt(d: DueRow): Promise<void> {
    const attempts = d.attempts + 1;
    const started = Date.now();
    try {
      if (d.contact_id != null) {
        // an acknowledged alert's (or incident's) escalations and reminders are no longer news: do not send them
        if (d.stage !== 'cleared' && (await this.acked(d.alert_id))) {
          await this.o.db.query(
            `UPDATE notification_deliveries SET status = 'cancelled', last_error = 'alert acknowledged before sending' WHERE id = $1`, [d.id]);
          return;
        }
        await this.contacts.send({ contact_id: d.contact_id, channel: d.channel, payload: d.payload });
      } else if (isRecordOnly({ severity: String((d.payload.alert as { severity?: unknown } | undefined)?.severity ?? '') })) {
        // written by ingest for every alert; an info record (a defrost period) is not sent to anyone
        await this.o.db.query(
          `UPDATE notification_deliveries SET status = 'cancelled', last_error = 'info alert: kept as a record, not sent' WHERE id = $1`, [d.id]);
        return;
      } else if (d.channel === 'webhook') await postWebhook(d.target, d.payload, this.o.webhookHeaders?.(d.target) ?? {}, this.o.webhookTimeoutMs ?? 5000);
      else await this.publishMqtt(d.payload);
      await this.o.db.query(
        // the attempt row goes in with the status change (one statement): every attempt on record
        `WITH d AS (UPDATE notification_deliveries SET status = 'sent', attempts = $2, sent_at = now(), last_error = NULL WHERE id = $1 RETURNING id)
         ${RECORD_ATTEMPT} SELECT id, $2, true, NULL, $3 FROM d`,
        [d.id, attempts, Date.now() - started],
      );
    } catch (e) {
      const max = this.o.maxAttempts ?? 10;
      const finalFailure = attempts >= max;
      // at least a second: full jitter alone may pick ~0 ms and hit a failing endpoint again at once
      const retryMs = 1000 + backoffDelay(attempts, { baseMs: 1000, maxMs: 300_000 });
      await this.o.db.query(
        `WITH d AS (UPDATE notification_deliveries SET status = $2, attempts = $3, last_error = $4,
           next_attempt_at = now() + ($5::float8 * interval '1 millisecond') WHERE id = $1 RETURNING id)
         ${RECORD_ATTEMPT} SELECT id, $3, false, $4, $6 FROM d`,
        [d.id, finalFailure ? 'failed' : 'pending', attempts, (e as Error).message.slice(0, 500), retryMs, Date.now() - started],
      );
      this.o.log.warn({ delivery: d.id, alert: d.alert_id, channel: d.channel, attempts, finalFailure, err: (e as Error).message },
        finalFailure ? 'notification failed for good' : 'notification failed, will retry');
    }
  }

  private async acked(alertId: string): Promise<boolean> {
    // an alert of an incident: acknowledged when its incident is (incidents.ts), whichever alert of
    // it was acknowledged; an alert without an incident: its own acknowledgement
    const r = await this.o.db.query<{ acked: boolean }>(
      `SELECT CASE WHEN i.id IS NULL THEN a.acked_at IS NOT NULL ELSE ${INCIDENT_ACKED_SQL} END AS acked
       FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.id = $1`, [alertId]);
    return Boolean(r[0]?.acked);
  }

  private async publishMqtt(payload: DueRow['payload']): Promise<void> {
    if (!this.o.mqtt) throw new SpError('SP_ERR_DELIVERY', { field: 'mqtt', reason: 'no MQTT connection for alert topic' }, 'no MQTT connection for alert topic');
    const { topic, ...body } = payload;
    if (!topic) throw new SpError('SP_ERR_DELIVERY', { field: 'payload.topic', reason: 'delivery payload has no topic' }, 'delivery payload has no topic');
    await this.o.mqtt.publish(topic, JSON.stringify(body));
  }
}
