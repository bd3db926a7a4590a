import { createHash } from 'node:crypto';
import type { UplinkBatch } from '../../protocols/uplink/contract.ts';

// The content digest of an uplink batch, kept with its idempotency record (uplink_batches).
// A resend repeats the batch exactly (edge/outbox/queue.ts: same seq, same entries, also after
// a restart from the durable outbox) except `sentAt`, which is stamped per send — so the digest
// covers everything but `sentAt` (and the key itself). Readings are hashed as the five fields the
// cloud stores, in order, so a reading restored from the outbox's columns hashes like the one
// first sent; everything else as JSON with sorted keys (zod's output order is not the wire's).
// One SHA-256 over a few hundred kB at most: well under a millisecond per batch.

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export function batchDigest(b: UplinkBatch): string {
  const h = createHash('sha256');
  h.update(canonical({ manifest: b.manifest ?? null, alerts: b.alerts, devices: b.devices, movements: b.movements }));
  // one string, one update: per-reading update() calls cost ten times as much
  let text = '';
  for (const r of b.readings) text += `\n${r.sensor}\t${r.kind}\t${r.ts}\t${r.value}\t${r.quality}`;
  h.update(text);
  return h.digest('base64url');
}
