import type { UplinkBatch } from '../../protocols/uplink/contract.ts';

// Readings as COPY text rows: the "raw COPY" baselines the benches set beside the cloud (issue #12
// measures the cloud against a raw COPY of the same rows). The cloud itself writes binary COPY
// (cloud/ingest/copy-binary.ts).

/** COPY text format: backslash, tab, newline and carriage return must be escaped in text fields */
const NEEDS_ESCAPE = /[\\\t\n\r]/;
function copyText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** the batch's readings as COPY text rows (ts, gateway, sensor, zone, kind, value, quality), each sensor's zone taken from `zones` */
export function copyTextRows(batch: Pick<UplinkBatch, 'gateway' | 'readings'>, zones: ReadonlyMap<string, string>): string {
  const gw = copyText(batch.gateway);
  const parts = new Array<string>(batch.readings.length);
  for (let i = 0; i < batch.readings.length; i++) {
    const r = batch.readings[i]!;
    // epoch ms → ISO 8601 (UTC), which timestamptz input reads exactly (millisecond precision)
    parts[i] = `${new Date(r.ts).toISOString()}\t${gw}\t${copyText(r.sensor)}\t${copyText(zones.get(r.sensor) ?? 'unassigned')}\t${r.kind}\t${r.value}\t${r.quality}\n`;
  }
  return parts.join('');
}
