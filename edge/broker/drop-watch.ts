import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { MOSQUITTO_DROPPED_TOPIC } from './queue-limits.ts';

// Watches the device broker's own count of messages it dropped (Mosquitto publishes
// `$SYS/broker/publish/messages/dropped` every sys_interval seconds, retained: a decimal count
// since the broker started, over all its clients). A broker drops QoS 1 messages when a client's
// queue is full (max_queued_messages / max_queued_bytes) — frames the devices were told were
// delivered, that no gateway will ever see. That loss happens outside the gateway, so the gateway
// raises `broker_dropping` (naming the broker) the moment the counter goes up, and clears it
// after `quietMs` without a new drop.
//
// The last count seen is kept in the store (savedState), so drops that happened while the
// gateway was down — the outage case — are seen at the next start. A count lower than the kept
// one means the broker restarted: everything it reports since then is new. The first start ever
// has nothing to compare with and takes the count as its baseline.

export interface DropWatchOptions {
  client: MqttClient;
  /** shown in the alert and the log: the broker's host:port (no credentials) */
  broker: string;
  /** the alert's zone: the whole site (the broker serves every zone) */
  site: string;
  topic?: string;
  quietMs: number;
  log: Logger;
  onAlert: (a: AlertEvent) => void;
  /** persisted state (the outbox's savedState / append([], state)) */
  load: (key: string) => string | undefined;
  save: (key: string, value: string) => void;
  now?: () => number;
}

interface Kept { count: number; alert?: { id: string; since: number; dropped: number } }

export class BrokerDropWatch {
  private readonly topic: string;
  private readonly key: string;
  private kept: Kept | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly listener = (topic: string, payload: Buffer) => { if (topic === this.topic) this.observe(payload.toString('utf8')); };
  private readonly subscribe = () => {
    this.o.client.subscribeAsync(this.topic, { qos: 0 }).then((granted) => {
      if (granted.some((g) => g.qos === 128)) this.o.log.warn({ broker: this.o.broker, topic: this.topic }, 'broker refused the subscription to its drop counter (ACL): broker_dropping cannot be raised');
    }, () => {});
  };

  constructor(private readonly o: DropWatchOptions) {
    this.topic = o.topic ?? MOSQUITTO_DROPPED_TOPIC;
    this.key = `broker-dropped:${o.broker}`;
    this.now = o.now ?? Date.now;
    const raw = o.load(this.key);
    if (raw) {
      try { this.kept = JSON.parse(raw) as Kept; } catch { this.kept = undefined; }
    }
  }

  /** listens and subscribes (again on every connect); an alert still active from the last run gets its quiet period */
  start(): void {
    this.o.client.on('message', this.listener);
    this.o.client.on('connect', this.subscribe);
    if (this.o.client.connected) this.subscribe();
    if (this.kept?.alert) this.armClear();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.o.client.off('message', this.listener);
    this.o.client.off('connect', this.subscribe);
  }

  /** the broker's dropped count as last seen, and the active alert (for status and tests) */
  state(): Readonly<Kept> | undefined {
    return this.kept;
  }

  private observe(text: string): void {
    const count = Number(text.trim());
    if (!Number.isSafeInteger(count) || count < 0) return;
    const prev = this.kept;
    if (prev && count === prev.count) return;
    // the broker restarted (its counter starts again at 0): all it reports now is new
    const base = !prev ? count : count < prev.count ? 0 : prev.count;
    const fresh = count - base;
    const next: Kept = { count, ...(prev?.alert ? { alert: prev.alert } : {}) };
    if (fresh > 0) {
      const at = this.now();
      if (!next.alert) {
        next.alert = { id: `${this.o.site}:broker_dropping:${this.o.broker}:${at}`, since: at, dropped: fresh };
        this.o.onAlert({
          id: next.alert.id, transition: 'raised', rule: 'broker_dropping', zone: this.o.site, severity: 'critical', ts: at, since: at, value: fresh,
          message: `device broker ${this.o.broker} dropped ${fresh} message(s) (${this.topic} ${base} → ${count}): device frames are being lost before the gateway sees them — its per-client queue is full (raise max_queued_messages / max_queued_bytes, see docs/deploy.md)`,
        });
      } else {
        next.alert = { ...next.alert, dropped: next.alert.dropped + fresh };
      }
      this.o.log.warn({ broker: this.o.broker, dropped: fresh, total: count }, 'device broker is dropping messages');
      this.armClear();
    }
    this.kept = next;
    this.persist();
  }

  /** a store that cannot be written (disk full) must not break the device connection's packet handling */
  private persist(): void {
    try {
      this.o.save(this.key, JSON.stringify(this.kept));
    } catch (err) {
      this.o.log.error({ err, broker: this.o.broker }, 'broker drop count could not be kept (it is compared again at the next change)');
    }
  }

  private armClear(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), this.o.quietMs);
    this.timer.unref?.();
  }

  private clear(): void {
    const k = this.kept;
    if (!k?.alert) return;
    const at = this.now();
    this.o.onAlert({
      id: k.alert.id, transition: 'cleared', rule: 'broker_dropping', zone: this.o.site, severity: 'critical', ts: at, since: k.alert.since, value: k.alert.dropped,
      message: `device broker ${this.o.broker}: no new drops for ${Math.round(this.o.quietMs / 1000)} s (${k.alert.dropped} message(s) dropped in all)`,
    });
    this.kept = { count: k.count };
    this.persist();
  }
}
