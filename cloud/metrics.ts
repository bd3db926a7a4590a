import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Cloud metrics in Prometheus text format at /metrics. One registry per cloud instance (not the
// global one), so tests can run several instances in one process.

export function createCloudMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stockpulse_cloud_' });
  const c = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    batchesCommitted: c('stockpulse_cloud_batches_committed_total', 'uplink batches committed'),
    batchesDuplicate: c('stockpulse_cloud_batches_duplicate_total', 'uplink batches received again and acknowledged without effect'),
    batchesRejected: c('stockpulse_cloud_batches_rejected_total', 'uplink batches rejected (kept in dead_letters)'),
    readingsIngested: c('stockpulse_cloud_readings_ingested_total', 'readings committed'),
    alertsIngested: c('stockpulse_cloud_alert_events_ingested_total', 'alert transitions committed'),
    batchLatencyMs: new Histogram({
      name: 'stockpulse_cloud_batch_commit_ms', help: 'time from batch receipt to commit (ms)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500], registers: [registry],
    }),
    mqttConnected: new Gauge({ name: 'stockpulse_cloud_mqtt_connected', help: '1 when the ingest MQTT connection is up', registers: [registry] }),
  };
}

export type CloudMetrics = ReturnType<typeof createCloudMetrics>;
