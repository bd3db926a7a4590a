import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboxQueue } from './outbox/queue.ts';
import type { GatewayStatus } from './gateway-status.ts';
import type { DeviceHealthView } from './health/index.ts';

// The gateway's metrics in Prometheus text format (GET /metrics on the gateway's HTTP port).
// One registry per gateway (never the global one) so several gateways can share a process.
// Values are read from the gateway's own counters at scrape time rather than pushed from the
// hot path: nothing here can slow the readings pipeline, and the numbers always agree with
// GET /status.

/** What a durable outbox may offer beyond the OutboxQueue interface (the SQLite one does). */
type OutboxExtras = OutboxQueue & {
  bytes?: () => number;
  thinned?: number | (() => number);
  stats?: { thinned?: number };
};

export interface EdgeMetricsSource {
  gateway: string;
  status(): GatewayStatus & { health?: Record<string, DeviceHealthView> };
  /** read at each scrape: the gateway may swap its outbox (durable one opened at start) */
  readonly outbox: OutboxQueue;
  /** readings in batches the cloud has acknowledged */
  readingsOut(): number;
  /** times the uplink's broker link was re-established */
  uplinkReconnects(): number;
}

export const DEVICE_STATES = ['online', 'offline', 'failed', 'unknown'] as const;

export function createEdgeMetrics(src: EdgeMetricsSource) {
  const registry = new Registry();
  registry.setDefaultLabels({ gateway: src.gateway });
  collectDefaultMetrics({ register: registry, prefix: 'stockpulse_edge_' });
  const registers = [registry];
  const box = () => src.outbox as OutboxExtras;

  // A counter whose total lives elsewhere: set to that total at each scrape.
  const total = (name: string, help: string, read: () => number) => new Counter({
    name, help, registers,
    collect() { this.reset(); this.inc(Math.max(0, read() || 0)); },
  });
  const gauge = (name: string, help: string, read: () => number | undefined) => new Gauge({
    name, help, registers,
    collect() { const v = read(); if (v === undefined) this.reset(); else this.set(v); },
  });

  total('stockpulse_edge_readings_in_total', 'readings received from devices', () => src.status().readingsIn);
  total('stockpulse_edge_readings_out_total', 'readings in batches acknowledged by the cloud', src.readingsOut);
  total('stockpulse_edge_alerts_raised_total', 'alerts raised on this gateway (zone rules and device_offline)', () => src.status().alertsRaised);
  total('stockpulse_edge_dead_letters_total', 'frames and batches the gateway could not use (kept in dead letters)', () => src.status().deadLetters);
  total('stockpulse_edge_outbox_thinned_total', 'readings the outbox thinned out to stay within its size limit', () => {
    const b = box();
    const t = b.thinned ?? b.stats?.thinned;
    return typeof t === 'function' ? t.call(b) : (t ?? 0);
  });
  gauge('stockpulse_edge_outbox_depth', 'entries waiting for the cloud to acknowledge them', () => src.outbox.depth());
  gauge('stockpulse_edge_outbox_oldest_age_seconds', 'age of the oldest unacknowledged entry (0 when empty)', () => {
    const at = src.outbox.oldestAt();
    return at === undefined ? 0 : Math.max(0, (Date.now() - at) / 1000);
  });
  // Only outboxes that know their size (the SQLite one) give a sample; the memory one leaves it empty.
  gauge('stockpulse_edge_outbox_bytes', 'size of the outbox on disk (bytes)', () => box().bytes?.());

  total('stockpulse_edge_uplink_batches_sent_total', 'batches published to the cloud, resends included', () => src.status().uplink.batchesSent);
  total('stockpulse_edge_uplink_batches_acked_total', 'batches acknowledged by the cloud', () => src.status().uplink.batchesAcked);
  total('stockpulse_edge_uplink_resends_total', 'batches sent again after no ack within ackTimeoutMs', () => src.status().uplink.resends);
  total('stockpulse_edge_uplink_rejected_total', 'batches the cloud rejected (moved to dead letters)', () => src.status().uplink.rejected);
  total('stockpulse_edge_uplink_items_rejected_total', 'items of acknowledged batches the cloud could not store (kept in its dead letters)', () => src.status().uplink.itemsRejected ?? 0);
  gauge('stockpulse_edge_uplink_inflight_age_seconds', 'age of the batch in flight since its first send (0 when none)', () => src.status().uplink.inFlightAgeSec ?? 0);
  gauge('stockpulse_edge_uplink_stalled_seconds', 'how long nothing was acknowledged while entries wait (0 when advancing)', () => src.status().uplink.stalledForSec ?? 0);
  gauge('stockpulse_edge_uplink_stalled', '1 when the uplink stream has not advanced for uplink.stallAfterSec', () => (src.status().status === 'degraded' ? 1 : 0));
  total('stockpulse_edge_uplink_reconnects_total', 'times the link to the cloud broker was re-established', src.uplinkReconnects);
  gauge('stockpulse_edge_uplink_connected', '1 when the link to the cloud broker is up', () => (src.status().uplink.connected ? 1 : 0));
  gauge('stockpulse_edge_uplink_ack_latency_seconds', 'first send to ack of the last acknowledged batch', () => {
    const ms = src.status().uplink.lastLatencyMs;
    return ms === undefined ? undefined : ms / 1000;
  });

  const health = () => src.status().health ?? {};
  new Gauge({
    name: 'stockpulse_edge_device_status', help: '1 for the state each device is in, 0 for the others',
    labelNames: ['device', 'state'], registers,
    collect() {
      this.reset();
      for (const [id, h] of Object.entries(health())) {
        for (const s of DEVICE_STATES) this.set({ device: id, state: s }, (h.state ?? 'unknown') === s ? 1 : 0);
      }
    },
  });
  const perDevice = (name: string, help: string, pick: (h: DeviceHealthView) => number | undefined) => new Gauge({
    name, help, labelNames: ['device'], registers,
    collect() {
      this.reset();
      for (const [id, h] of Object.entries(health())) {
        const v = pick(h);
        if (v !== undefined) this.set({ device: id }, v);
      }
    },
  });
  perDevice('stockpulse_edge_device_last_seen_timestamp_seconds', 'when the device was last heard (unix seconds)', (h) => (h.lastSeen === undefined ? undefined : h.lastSeen / 1000));
  perDevice('stockpulse_edge_device_battery_percent', 'battery level the device reports (%)', (h) => h.battery);
  perDevice('stockpulse_edge_device_signal', 'signal the device reports (dBm or its own link-quality figure)', (h) => h.signal);

  return { registry };
}

export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;

/**
 * The outbox as the uplink sees it, counting the readings of every batch it acknowledges.
 * A Proxy rather than a wrapper class so whatever else the real outbox offers (bytes(), a
 * thinned counter) stays reachable through it.
 */
export function countAcknowledged<Q extends OutboxQueue>(outbox: Q, onAcked: (readings: number) => void): Q {
  // the uplink asks the outbox on every device frame (waiting()): a method is bound once, not
  // per call (a bound function per call was a measurable share of the edge's garbage)
  const bound = new Map<PropertyKey, { fn: unknown; bound: unknown }>();
  return new Proxy(outbox, {
    get(target, prop) {
      if (prop === 'ack') {
        return (seq: number) => {
          // ack is cumulative: every batch out with a seq ≤ seq is done
          const done = target.handedOut().filter((b) => b.seq <= seq);
          const result = target.ack(seq) as unknown;
          const readings = done.reduce((n, b) => n + b.readings, 0);
          if (readings) onAcked(readings);
          return result;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const b = bound.get(prop);
      if (b?.fn === v) return b.bound;
      const fresh = (v as (...a: unknown[]) => unknown).bind(target);
      bound.set(prop, { fn: v, bound: fresh });
      return fresh;
    },
  });
}
