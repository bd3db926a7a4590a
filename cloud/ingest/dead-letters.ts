import type { Db } from '../db/engine.ts';

// Frames the cloud cannot accept are kept, whole, with their coded reason (never dropped).
export async function recordDeadLetter(
  db: Db,
  d: { source: string; topic?: string; code: string; reason: string; payload: Buffer | string },
): Promise<void> {
  const text = typeof d.payload === 'string' ? d.payload : d.payload.toString('utf8');
  await db.query(
    'INSERT INTO dead_letters (source, topic, code, reason, payload) VALUES ($1, $2, $3, $4, $5)',
    [d.source, d.topic ?? null, d.code, d.reason, text],
  );
}
