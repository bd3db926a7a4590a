import { SpError } from '../../../protocols/errors.ts';
import type { Queryable } from '../../db/engine.ts';
import type { SqlRow } from '../../db/rows.ts';
import type { documentEvents, documents } from '../../db/schema.ts';
import type { Actor } from '../model.ts';
import { mayTakeAction, type DocumentRoute } from '../../auth/permissions.ts';
import { closeTasks, openTask } from './tasks.ts';

// What every document shares: a row in `documents`, a state machine (which action moves it from
// which states to which), an append-only event per transition, and the tasks each new state
// pushes to the next role. Who may take an action is in cloud/auth/permissions.ts.

/** the types documents.type admits (its CHECK, declared in cloud/db/schema/documents.ts) */
export type DocType = typeof documents.$inferSelect['type'];

export interface Doc {
  id: number; type: DocType; status: string; partner: string | null; location: string | null;
  amountMinor: number | null; currency: string | null; lines: any[]; data: Record<string, any>;
  parentId: number | null; createdBy: string; createdAt: number; updatedAt: number;
}

export interface NextTask { role: string; action: string; title: (d: Doc) => string }
export interface Machine {
  type: DocType;
  label: string;
  /** action → the states it may start from */
  from: Record<string, readonly string[]>;
  /** tasks opened when a document enters a state */
  next: Record<string, readonly NextTask[]>;
}

type Raw = SqlRow<typeof documents>;
export const docFromRow = (r: Raw): Doc => ({
  id: Number(r.id), type: r.type, status: r.status, partner: r.partner, location: r.location,
  amountMinor: r.amount_minor === null ? null : Number(r.amount_minor), currency: r.currency,
  lines: (r.lines as any[] | null) ?? [], data: (r.data as Record<string, any> | null) ?? {},
  parentId: r.parent_id === null ? null : Number(r.parent_id), createdBy: r.created_by,
  createdAt: new Date(r.created_at).getTime(), updatedAt: new Date(r.updated_at).getTime(),
});

/** Loads a document of the given type and locks it for this transaction (one transition at a time). */
export async function lockDoc(q: Queryable, m: Machine, id: number): Promise<Doc> {
  const [r] = await q.query<Raw>('SELECT * FROM documents WHERE id = $1 AND type = $2 FOR UPDATE', [id, m.type]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no ${m.label} ${id}` });
  return docFromRow(r);
}

export async function getDoc(q: Queryable, m: Machine, id: number): Promise<Doc> {
  const [r] = await q.query<Raw>('SELECT * FROM documents WHERE id = $1 AND type = $2', [id, m.type]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no ${m.label} ${id}` });
  return docFromRow(r);
}

export async function listDocs(q: Queryable, m: Machine, f: { status?: string; limit?: number }): Promise<Doc[]> {
  const rows = await q.query<Raw>('SELECT * FROM documents WHERE type = $1 AND ($2::text IS NULL OR status = $2) ORDER BY id DESC LIMIT $3',
    [m.type, f.status ?? null, f.limit ?? 100]);
  return rows.map(docFromRow);
}

export function assertCan(m: Machine, d: Doc, action: string): void {
  const from = m.from[action] ?? [];
  if (!from.includes(d.status)) {
    throw new SpError('SP_ERR_CONFLICT', { field: 'status', reason: `${m.label} ${d.id} is ${d.status}; "${action}" is allowed from ${from.join(', ') || 'no state'}` });
  }
}

/**
 * The role check of the permission matrix, asked by the document service itself: the REST guard
 * asks it per route, but a path that does not come through a route (a dock portal's pass through
 * the uplink) must meet the same rule, so every document action checks it again.
 */
export function assertMay(actor: Actor, type: DocumentRoute, action: string): void {
  if (!mayTakeAction(actor.role, type, action)) {
    throw new SpError('SP_ERR_FORBIDDEN', { field: 'role', reason: `role "${actor.role}" (${actor.name}) may not ${action} ${type}` });
  }
}

async function pushTasks(q: Queryable, m: Machine, d: Doc): Promise<void> {
  for (const t of m.next[d.status] ?? []) await openTask(q, d.id, t.role, t.action, t.title(d));
}

export interface NewDoc { status: string; partner?: string | null; location?: string | null; amountMinor?: number | null; currency?: string | null; lines?: unknown[]; data?: Record<string, unknown>; parentId?: number | null }

export async function insertDoc(q: Queryable, m: Machine, n: NewDoc, actor: Actor, opts: { tasks?: boolean } = {}): Promise<Doc> {
  const [r] = await q.query<Raw>(
    `INSERT INTO documents (type, status, partner, location, amount_minor, currency, lines, data, parent_id, created_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8::jsonb,$9,$10) RETURNING *`,
    [m.type, n.status, n.partner ?? null, n.location ?? null, n.amountMinor ?? null, n.currency ?? null,
      JSON.stringify(n.lines ?? []), JSON.stringify(n.data ?? {}), n.parentId ?? null, actor.name]);
  const d = docFromRow(r!);
  await q.query('INSERT INTO document_events (document_id, action, from_status, to_status, actor, role) VALUES ($1,$2,NULL,$3,$4,$5)',
    [d.id, 'create', d.status, actor.name, actor.role]);
  if (opts.tasks !== false) await pushTasks(q, m, d);
  return d;
}

/**
 * Records a transition: new status (and changed data), an event, the document's open tasks
 * closed and the next role's tasks opened. `to === d.status` records a step inside a state
 * (one approval of several) without touching tasks.
 */
export async function transition(q: Queryable, m: Machine, d: Doc, action: string, to: string, actor: Actor,
  o: { data?: Record<string, unknown>; lines?: unknown[]; note?: string } = {}): Promise<Doc> {
  const [r] = await q.query<Raw>(
    `UPDATE documents SET status = $2, data = coalesce($3::jsonb, data), lines = coalesce($4::jsonb, lines), updated_at = now() WHERE id = $1 RETURNING *`,
    [d.id, to, o.data ? JSON.stringify(o.data) : null, o.lines ? JSON.stringify(o.lines) : null]);
  await q.query('INSERT INTO document_events (document_id, action, from_status, to_status, actor, role, note) VALUES ($1,$2,$3,$4,$5,$6,$7)',
    [d.id, action, d.status, to, actor.name, actor.role, o.note ?? null]);
  const after = docFromRow(r!);
  if (to !== d.status) {
    await closeTasks(q, d.id, actor.name);
    await pushTasks(q, m, after);
  }
  return after;
}

export async function docEvents(q: Queryable, id: number) {
  const rows = await q.query<SqlRow<typeof documentEvents>>('SELECT * FROM document_events WHERE document_id = $1 ORDER BY id', [id]);
  return rows.map((e) => ({ action: e.action, from: e.from_status, to: e.to_status, actor: e.actor, role: e.role, note: e.note, at: new Date(e.at).getTime() }));
}
