import type { Db, Queryable } from '../db/engine.ts';

// The append-only audit log (a trigger refuses UPDATE/DELETE/TRUNCATE, migration 0005).

export interface AuditEntry {
  actor: string; role: string; tokenId?: number; method: string; route: string; url: string; status: number;
  entity?: string; entityId?: string | number; request?: unknown; before?: unknown; after?: unknown;
}

const json = (v: unknown) => (v === undefined ? null : v);

// Audit rows are appended in groups: while one INSERT is in flight, the next entries queue and
// go in the next multi-row INSERT (one commit for many writes, as with reservations). Each
// caller still waits until its own row is committed before its response leaves.
interface Pending { e: AuditEntry; done: () => void; fail: (err: unknown) => void }
const queues = new WeakMap<Queryable, { busy: boolean; waiting: Pending[] }>();

async function flush(q: Queryable): Promise<void> {
  const s = queues.get(q)!;
  if (s.busy || !s.waiting.length) return;
  s.busy = true;
  const batch = s.waiting.splice(0, 500);
  try {
    await q.query(
      `INSERT INTO audit_log (actor, role, token_id, method, route, url, status, entity, entity_id, request, before, after)
       SELECT actor, role, token_id, method, route, url, status, entity, entity_id, request, before, after
       FROM jsonb_to_recordset($1::jsonb) AS x(actor text, role text, token_id bigint, method text, route text, url text, status integer,
                                               entity text, entity_id text, request jsonb, before jsonb, after jsonb, n integer)
       ORDER BY n`,
      [JSON.stringify(batch.map(({ e }, n) => ({
        actor: e.actor, role: e.role, token_id: e.tokenId ?? null, method: e.method, route: e.route, url: e.url, status: e.status,
        entity: e.entity ?? null, entity_id: e.entityId === undefined ? null : String(e.entityId),
        request: json(e.request), before: json(e.before), after: json(e.after), n,
      })))]);
    for (const p of batch) p.done();
  } catch (err) {
    for (const p of batch) p.fail(err);
  } finally {
    s.busy = false;
    if (s.waiting.length) void flush(q);
  }
}

export function recordAudit(q: Queryable, e: AuditEntry): Promise<void> {
  let s = queues.get(q);
  if (!s) queues.set(q, (s = { busy: false, waiting: [] }));
  const queue = s;
  return new Promise((done, fail) => {
    queue.waiting.push({ e, done, fail });
    void flush(q);
  });
}

export async function listAudit(db: Db, f: { entity?: string; entityId?: string; limit?: number }) {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM audit_log WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR entity_id = $2) ORDER BY id DESC LIMIT $3`,
    [f.entity ?? null, f.entityId ?? null, f.limit ?? 100]);
  return rows.map((r) => ({
    id: Number(r.id), at: new Date(r.at as string).getTime(), actor: r.actor as string, role: r.role as string,
    method: r.method as string, route: r.route as string, url: r.url as string, status: Number(r.status),
    entity: (r.entity as string | null) ?? null, entityId: (r.entity_id as string | null) ?? null,
    request: r.request ?? null, before: r.before ?? null, after: r.after ?? null,
  }));
}
