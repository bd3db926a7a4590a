import { SpError } from '../../../protocols/errors.ts';
import type { Db, Queryable } from '../../db/engine.ts';

// Tasks: the next step of a document, pushed to the role that must take it. A transition closes
// the document's open tasks and opens the next ones in the same transaction.

export interface Task {
  id: number; documentId: number; documentType: string; documentStatus: string; role: string; action: string; title: string;
  status: 'open' | 'done' | 'cancelled'; createdAt: number; closedAt: number | null; closedBy: string | null;
}

export async function closeTasks(q: Queryable, documentId: number, by: string, status: 'done' | 'cancelled' = 'done'): Promise<void> {
  await q.query(`UPDATE tasks SET status = $3, closed_at = now(), closed_by = $2 WHERE document_id = $1 AND status = 'open'`, [documentId, by, status]);
}

export async function openTask(q: Queryable, documentId: number, role: string, action: string, title: string): Promise<void> {
  await q.query('INSERT INTO tasks (document_id, role, action, title) VALUES ($1,$2,$3,$4)', [documentId, role, action, title]);
}

/**
 * The QA task a quarantined lot of a goods receipt opens. Its title names the lot ("lot CODE of
 * ITEM", which the tasks page reads to link the lot passport) and is the one way a task finds its
 * lot again (the tasks table has no lot column): built here only, by receipt and by release.
 */
export const inspectLotTitle = (code: string, item: string, goodsReceipt: number) =>
  `Inspect quarantined lot ${code} of ${item} (goods receipt ${goodsReceipt})`;

/**
 * A lot leaves quarantine (QA released or rejected it, or its status was changed by hand): its
 * open inspection task is done, in the caller's transaction, so QA's queue never keeps a lot
 * that is already decided. Returns how many tasks it closed (0 when none was open).
 */
export async function closeLotInspection(q: Queryable, lot: { code: string; item: string }, by: string): Promise<number> {
  const open = await q.query<{ id: string; document_id: string; title: string }>(
    `SELECT t.id, t.document_id, t.title FROM tasks t JOIN documents d ON d.id = t.document_id
     WHERE t.action = 'inspect_lot' AND t.status = 'open' AND d.type = 'goods_receipt' AND d.lines @> $1::jsonb
     ORDER BY t.id FOR UPDATE OF t`, [JSON.stringify([{ item: lot.item, lot: lot.code }])]);
  const ids = open.filter((t) => t.title === inspectLotTitle(lot.code, lot.item, Number(t.document_id))).map((t) => Number(t.id));
  if (!ids.length) return 0;
  await q.query(`UPDATE tasks SET status = 'done', closed_at = now(), closed_by = $2 WHERE id = ANY($1::bigint[]) AND status = 'open'`, [ids, by]);
  return ids.length;
}

const fromRow = (r: Record<string, unknown>): Task => ({
  id: Number(r.id), documentId: Number(r.document_id), documentType: r.type as string, documentStatus: r.doc_status as string,
  role: r.role as string, action: r.action as string, title: r.title as string, status: r.status as Task['status'],
  createdAt: new Date(r.created_at as string).getTime(), closedAt: r.closed_at ? new Date(r.closed_at as string).getTime() : null,
  closedBy: (r.closed_by as string | null) ?? null,
});

export async function listTasks(db: Db, f: { role?: string; status?: string; limit?: number }): Promise<Task[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT t.*, d.type, d.status AS doc_status FROM tasks t JOIN documents d ON d.id = t.document_id
     WHERE ($1::text IS NULL OR t.role = $1) AND ($2::text IS NULL OR t.status = $2) ORDER BY t.id DESC LIMIT $3`,
    [f.role ?? null, f.status ?? null, f.limit ?? 100]);
  return rows.map(fromRow);
}

/** A person marks a task done by hand (e.g. a follow-up made outside stockpulse). */
export async function completeTask(db: Db, id: number, by: { name: string; role: string }): Promise<Task> {
  const [t] = await db.query<{ role: string; status: string }>('SELECT role, status FROM tasks WHERE id = $1', [id]);
  if (!t) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no task ${id}` });
  if (by.role !== 'admin' && by.role !== t.role) throw new SpError('SP_ERR_FORBIDDEN', { field: 'role', reason: `task ${id} belongs to role "${t.role}"` });
  if (t.status !== 'open') throw new SpError('SP_ERR_CONFLICT', { field: 'params.id', reason: `task ${id} is already ${t.status}` });
  await db.query(`UPDATE tasks SET status = 'done', closed_at = now(), closed_by = $2 WHERE id = $1`, [id, by.name]);
  const [r] = await db.query<Record<string, unknown>>(`SELECT t.*, d.type, d.status AS doc_status FROM tasks t JOIN documents d ON d.id = t.document_id WHERE t.id = $1`, [id]);
  return fromRow(r!);
}
