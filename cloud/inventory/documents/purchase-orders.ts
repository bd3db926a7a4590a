import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db, Queryable } from '../../db/engine.ts';
import { assertUsable } from '../master-data.ts';
import { createLot, findLot } from '../lots.ts';
import { postMovementIn } from '../ledger.ts';
import { Currency, Id, IsoDate, Key, LotCode, Money, Qty, Text, dec, type Actor } from '../model.ts';
import { assertCan, assertMay, insertDoc, lockDoc, transition, type Doc, type Machine } from './machine.ts';
import { inspectLotTitle } from './tasks.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../../config.ts';
import { readApprovalRules, requiredLevels } from './approval-rules.ts';

// Purchase order: draft → submitted → approved → partially_received → received → closed
// (or cancelled before goods arrive). Approval levels by amount come from the admin's approval
// rules (approval-rules.ts; by default finance approves every order and, above the threshold,
// operations — the warehouse role — too), read when the order is submitted and kept on it, so a
// rule change never moves an order already waiting. Goods receipts create the lots and the
// receipt movements of what arrived.

/** the config's approval threshold: the rule while no admin has saved approval rules (approval-rules.ts) */
export type PurchaseOrderSettings = Pick<CloudSettings, 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR'>;

export const PURCHASE_ORDER: Machine = {
  type: 'purchase_order',
  label: 'purchase order',
  from: {
    submit: ['draft'], approve: ['submitted'], reject: ['submitted'], receive: ['approved', 'partially_received'],
    close: ['received', 'partially_received'], cancel: ['draft', 'submitted', 'approved'],
  },
  next: {
    draft: [{ role: 'purchasing', action: 'submit', title: (d) => `Submit purchase order ${d.id} for approval` }],
    approved: [{ role: 'warehouse', action: 'receive', title: (d) => `Receive the goods of purchase order ${d.id} from ${d.partner}` }],
    partially_received: [{ role: 'warehouse', action: 'receive', title: (d) => `Receive the rest of purchase order ${d.id}` }],
    received: [
      { role: 'purchasing', action: 'close', title: (d) => `Close purchase order ${d.id} (all received)` },
      { role: 'finance', action: 'pay', title: (d) => `Pay supplier ${d.partner} for purchase order ${d.id}` },
    ],
  },
};

export const PurchaseOrderInput = z.object({
  supplier: Id,
  currency: Currency.default('EUR'),
  lines: z.array(z.object({ item: Id, qty: Qty, priceMinor: Money, lot: LotCode.optional().describe('lot the supplier announced (ASN): an RFID portal books the receipt into it') })).min(1),
  note: Text(1000).optional(),
});

export const ReceiptInput = z.object({
  location: Id,
  idempotencyKey: Key.optional(),
  lines: z.array(z.object({
    item: Id, qty: Qty, lot: LotCode.optional(), producedOn: IsoDate.optional(), expiresOn: IsoDate.optional(),
    quarantine: z.boolean().default(false).describe('hold the new lot for QA inspection'),
  })).min(1),
});

export async function createPurchaseOrder(db: Db, input: z.input<typeof PurchaseOrderInput>, actor: Actor): Promise<Doc> {
  const p = PurchaseOrderInput.parse(input);
  return db.tx(async (q) => {
    // archived partners and items are refused for new documents (SP_ERR_ARCHIVED), unknown ones are a 400
    await assertUsable(q, 'suppliers', p.supplier, 'body.supplier');
    for (const [i, l] of p.lines.entries()) await assertUsable(q, 'items', l.item, `body.lines.${i}.item`);
    const amountMinor = p.lines.reduce((a, l) => a + Math.round(l.qty * l.priceMinor), 0);
    return insertDoc(q, PURCHASE_ORDER, {
      status: 'draft', partner: p.supplier, amountMinor, currency: p.currency, lines: p.lines, data: { note: p.note ?? null, received: {} },
    }, actor);
  });
}

export function purchaseOrderAction(db: Db, id: number, action: string, body: any, actor: Actor, settings: PurchaseOrderSettings = DEFAULT_SETTINGS): Promise<Doc> {
  return db.tx((q) => purchaseOrderActionIn(q, id, action, body, actor, settings));
}

/**
 * One action on a purchase order inside the caller's transaction: the API's routes and a dock
 * portal's receipt (posted in the same transaction as the uplink batch that carried it) both
 * come here, through the same permission and state checks. A repeated receipt idempotencyKey
 * receives nothing more.
 */
export async function purchaseOrderActionIn(q: Queryable, id: number, action: string, body: any, actor: Actor, settings: PurchaseOrderSettings = DEFAULT_SETTINGS): Promise<Doc> {
  assertMay(actor, 'purchase-orders', action);
  const d = await lockDoc(q, PURCHASE_ORDER, id);
  if (action === 'receive' && body?.idempotencyKey) {
    const [seen] = await q.query(`SELECT 1 FROM documents WHERE type = 'goods_receipt' AND parent_id = $1 AND data->>'idempotencyKey' = $2`, [id, body.idempotencyKey]);
    if (seen) return d;   // the same receipt posted again: nothing more arrives
  }
  assertCan(PURCHASE_ORDER, d, action);
  switch (action) {
    case 'submit': {
      const rules = await readApprovalRules(q, settings);
      const required = requiredLevels(rules, d.amountMinor ?? 0);
      const after = await transition(q, PURCHASE_ORDER, d, 'submit', 'submitted', actor,
        { data: { ...d.data, requiredApprovals: required, sequentialApprovals: rules.sequential, approvals: [] } });
      // one after the other: only the first level's task now, the next when it has approved
      for (const role of rules.sequential ? required.slice(0, 1) : required) await approvalTask(q, d, role);
      return after;
    }
    case 'approve': return approve(q, d, actor, body?.note);
    case 'reject':
      return transition(q, PURCHASE_ORDER, d, 'reject', 'draft', actor, { data: { ...d.data, approvals: [] }, note: body?.note ?? 'rejected' });
    case 'receive': return receive(q, d, ReceiptInput.parse(body ?? {}), actor);
    case 'close': return transition(q, PURCHASE_ORDER, d, 'close', 'closed', actor, { note: body?.note });
    case 'cancel': {
      const after = await transition(q, PURCHASE_ORDER, d, 'cancel', 'cancelled', actor, { note: body?.note });
      await q.query(`UPDATE tasks SET status = 'cancelled' WHERE document_id = $1 AND status = 'open'`, [d.id]);
      return after;
    }
    default: throw new SpError('SP_ERR_NOT_FOUND', { field: 'action', reason: `no action "${action}" on a purchase order` });
  }
}

function approvalTask(q: Queryable, d: Doc, role: string) {
  const amount = `${((d.amountMinor ?? 0) / 100).toFixed(2)} ${d.currency}`;
  return q.query('INSERT INTO tasks (document_id, role, action, title) VALUES ($1,$2,$3,$4)',
    [d.id, role, 'approve', `Approve purchase order ${d.id} (${amount}, ${d.partner})`]);
}

async function approve(q: Queryable, d: Doc, actor: Actor, note?: string): Promise<Doc> {
  const required: string[] = d.data.requiredApprovals ?? ['finance'];
  const sequential = d.data.sequentialApprovals === true;
  const approvals: { role: string; by: string; at: number }[] = d.data.approvals ?? [];
  const pending = required.filter((r) => !approvals.some((a) => a.role === r));
  // admin may approve every level at once; anyone else approves the level of their role —
  // with sequential rules only when it is that level's turn
  const mine = actor.role === 'admin' ? pending : pending.filter((r, i) => r === actor.role && (!sequential || i === 0));
  if (!mine.length) {
    const why = required.includes(actor.role)
      ? (pending.includes(actor.role) ? `level ${actor.role} approves after ${pending[0]}` : `role ${actor.role} has already approved`)
      : `this order (amount ${d.amountMinor}) needs approval by ${required.join(' + ')}`;
    throw new SpError('SP_ERR_FORBIDDEN', { field: 'role', reason: why });
  }
  const now = Date.now();
  const next = [...approvals, ...mine.map((role) => ({ role, by: actor.name, at: now }))];
  const done = required.every((r) => next.some((a) => a.role === r));
  await q.query(`UPDATE tasks SET status = 'done', closed_at = now(), closed_by = $2 WHERE document_id = $1 AND status = 'open' AND action = 'approve' AND role = ANY($3::text[])`,
    [d.id, actor.name, mine]);
  const nextLevel = required.find((r) => !next.some((a) => a.role === r));
  if (sequential && nextLevel) await approvalTask(q, d, nextLevel);
  return transition(q, PURCHASE_ORDER, d, 'approve', done ? 'approved' : 'submitted', actor, { data: { ...d.data, approvals: next }, note });
}

async function receive(q: Queryable, d: Doc, r: z.infer<typeof ReceiptInput>, actor: Actor): Promise<Doc> {
  const ordered = new Map<string, number>();
  for (const l of d.lines as { item: string; qty: number }[]) ordered.set(l.item, (ordered.get(l.item) ?? 0) + l.qty);
  const received: Record<string, number> = { ...(d.data.received ?? {}) };
  for (const [i, l] of r.lines.entries()) {
    if (!ordered.has(l.item)) throw new SpError('SP_ERR_VALIDATION', { field: `body.lines.${i}.item`, reason: `item "${l.item}" is not on purchase order ${d.id}` });
    const after = Math.round(((received[l.item] ?? 0) + l.qty) * 1e6) / 1e6;
    if (after > ordered.get(l.item)!) {
      throw new SpError('SP_ERR_CONFLICT', { field: `body.lines.${i}.qty`, reason: `receiving ${l.qty} would exceed the ${ordered.get(l.item)} ordered (${received[l.item] ?? 0} already received)` });
    }
    received[l.item] = after;
  }
  const gr = await insertDoc(q, GOODS_RECEIPT, {
    status: 'posted', partner: d.partner, location: r.location, lines: r.lines, parentId: d.id,
    data: { idempotencyKey: r.idempotencyKey ?? null, purchaseOrder: d.id },
  }, actor);
  const movements: number[] = [];
  for (const l of r.lines) {
    let lot = l.lot;
    if (lot && !(await findLot(q, l.item, lot))) {
      const created = await createLot(q, { item: l.item, code: lot, producedOn: l.producedOn, expiresOn: l.expiresOn, status: l.quarantine ? 'quarantined' : 'available' }, actor);
      if (l.quarantine) await q.query('INSERT INTO tasks (document_id, role, action, title) VALUES ($1,$2,$3,$4)', [gr.id, 'qa', 'inspect_lot', inspectLotTitle(created.code, l.item, gr.id)]);
    }
    const { movement } = await postMovementIn(q, {
      kind: 'receipt', item: l.item, lot, to: r.location, qty: Number(dec(l.qty)), sourceType: 'document', sourceRef: `goods_receipt:${gr.id}`,
    }, actor);
    movements.push(movement.id);
  }
  await q.query(`UPDATE documents SET data = data || $2::jsonb WHERE id = $1`, [gr.id, JSON.stringify({ movements })]);
  const complete = [...ordered].every(([item, qty]) => (received[item] ?? 0) >= qty);
  return transition(q, PURCHASE_ORDER, d, 'receive', complete ? 'received' : 'partially_received', actor, {
    data: { ...d.data, received, receipts: [...(d.data.receipts ?? []), gr.id] },
  });
}

/** goods receipts have no workflow of their own: posted once, with their movements */
export const GOODS_RECEIPT: Machine = { type: 'goods_receipt', label: 'goods receipt', from: {}, next: {} };
