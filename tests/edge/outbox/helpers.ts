import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Outbox } from '../../../edge/outbox/memory-outbox.ts';
import type { OutboxEntry } from '../../../edge/outbox/queue.ts';

/** a fresh folder for one test file's stores; remove() at the end */
export function tempDir(prefix = 'sp-outbox-'): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export { alert, alertEvent, reading } from '../../helpers/outbox-entries.ts';

export const manifest = (site = 'site'): OutboxEntry => ({ type: 'manifest', manifest: { site, zones: [], sensors: [], devices: [] } });

/** index an entry was made with (reading value / alert id), for order checks */
export function indexOf(e: OutboxEntry): number {
  if (e.type === 'reading') return e.reading.value;
  if (e.type === 'alert') return Number(e.alert.id.slice(2));
  return -1;
}

/** takes and acks every batch; returns the entries in delivery order and the seqs used */
export function drain(o: Outbox, max = 1000): { entries: OutboxEntry[]; seqs: number[] } {
  const entries: OutboxEntry[] = [];
  const seqs: number[] = [];
  for (let b = o.nextBatch(max); b; b = o.nextBatch(max)) {
    entries.push(...b.entries);
    seqs.push(b.seq);
    o.ack(b.seq);
  }
  return { entries, seqs };
}
