import type { OutboxEntry } from '../../edge/outbox/queue.ts';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';

// Entries for a gateway's outbox, numbered so a test can check their order: the outbox suites
// and the uplink suites build the same readings and alerts.

export const reading = (i: number, sensor = `s${i % 5}`, ts = 1_790_000_000_000 + i * 1000): OutboxEntry =>
  ({ type: 'reading', reading: { sensor, kind: 'temperature', ts, value: i, quality: 'good' } });

export const alertEvent = (i: number): AlertEvent => ({
  id: `a-${i}`, transition: 'raised', rule: 'high', zone: 'cold', sensor: 's0', severity: 'critical',
  ts: 1_790_000_000_000 + i * 1000, since: 1_790_000_000_000, value: 9.5, threshold: 8, message: `alert ${i}`,
});
export const alert = (i: number): OutboxEntry => ({ type: 'alert', alert: alertEvent(i) });
