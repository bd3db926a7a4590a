import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './db/engine.ts';

// Cloud metrics in Prometheus text format at /metrics. One registry per cloud instance (not the
// global one), so tests can run several instances in one process.
// Counters count what this instance did; the gauges read from `db` (dead letters, devices by
// state) describe the shared database, so every instance reports the same fleet-wide figure.

const DEVICE_STATES = ['online', 'offline', 'failed', 'unknown'] as const;

export function createCloudMetrics(opts: { db?: Db } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stockpulse_cloud_' });
  const c = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    batchesCommitted: c('stockpulse_cloud_batches_committed_total', 'uplink batches committed'),
    batchesDuplicate: c('stockpulse_cloud_batches_duplicate_total', 'uplink batches received again and acknowledged without effect'),
    batchesGap: c('stockpulse_cloud_batches_gap_total', 'uplink batches answered gap: they overtook a predecessor not yet decided (the edge resends them)'),
    batchesRejected: c('stockpulse_cloud_batches_rejected_total', 'uplink batches rejected (kept in dead_letters)'),
    batchFailures: new Counter({
      name: 'stockpulse_cloud_batch_failures_total', labelNames: ['fault'], registers: [registry],
      help: 'attempts to commit a batch that failed, by fault: connection (retried by the edge), retryable (retried a few times), permanent (stored item by item)',
    }),
    itemsRejected: c('stockpulse_cloud_batch_items_rejected_total', 'items of committed batches the database refused (kept in dead_letters; the rest of their batch stored)'),
    uplinkOldestUnackedSec: new Gauge({ name: 'stockpulse_cloud_uplink_oldest_unacked_seconds', help: 'age of the oldest batch received by this instance and not yet acked (0 when none)', registers: [registry] }),
    uplinkStalledGateways: new Gauge({ name: 'stockpulse_cloud_uplink_stalled_gateways', help: 'gateways whose stream has not advanced for longer than STOCKPULSE_UPLINK_STALL_SEC', registers: [registry] }),
    readingsIngested: c('stockpulse_cloud_readings_ingested_total', 'readings committed'),
    readingsDuplicate: c('stockpulse_cloud_readings_duplicate_total', 'readings received again (same sensor and time) and skipped'),
    alertsIngested: c('stockpulse_cloud_alert_events_ingested_total', 'alert transitions committed'),
    batchLatencyMs: new Histogram({
      name: 'stockpulse_cloud_batch_commit_ms', help: 'time from batch receipt to commit (ms)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500], registers: [registry],
    }),
    groupSize: new Histogram({
      name: 'stockpulse_cloud_ingest_group_size', help: 'uplink batches committed together in one database transaction (group commit, cloud/ingest/group-commit.ts); _count is the transactions',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [registry],
    }),
    groupFast: c('stockpulse_cloud_ingest_group_fast_total', 'batches of a group commit decided on the set-based path (cloud/ingest/store-group.ts: plain readings of owned sensors, committed or duplicate)'),
    groupFastFailed: c('stockpulse_cloud_ingest_group_fast_failed_total', 'groups whose set-based path failed (that transaction rolled back; the group ran again with every batch on the per-batch path)'),
    groupRunRedone: c('stockpulse_cloud_ingest_group_run_redone_total', 'runs of a stream rolled back because the run they follow did not commit whole, then run again after it (cloud/ingest/group-commit.ts: a stream commits in seq order)'),
    groupIsolated: c('stockpulse_cloud_ingest_group_isolated_total', 'batches whose savepoint failed inside a group commit (rolled back alone, then stored on the single-batch path)'),
    mqttConnected: new Gauge({ name: 'stockpulse_cloud_mqtt_connected', help: '1 when the ingest MQTT connection is up', registers: [registry] }),
    ...(opts.db ? databaseGauges(registry, opts.db) : {}),
  };
}

export type CloudMetrics = ReturnType<typeof createCloudMetrics>;

/** Gauges computed by a query at scrape time; a failing query leaves the last value (the DB may be restarting). */
function databaseGauges(registry: Registry, db: Db) {
  return {
    deadLetters: new Gauge({
      name: 'stockpulse_cloud_dead_letters', help: 'frames and batches kept in dead_letters (never accepted)', registers: [registry],
      async collect() {
        const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters').catch(() => undefined);
        if (rows) this.set(rows[0]?.n ?? 0);
      },
    }),
    devicesByState: new Gauge({
      name: 'stockpulse_cloud_devices', help: 'devices by their last reported state', labelNames: ['state'], registers: [registry],
      async collect() {
        const rows = await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM devices GROUP BY state').catch(() => undefined);
        if (!rows) return;
        for (const st of DEVICE_STATES) this.set({ state: st }, rows.find((r) => r.state === st)?.n ?? 0);
      },
    }),
  };
}
