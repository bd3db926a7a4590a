import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf, roleOf } from '../../auth/guard.ts';
import { DOCUMENT_PERMISSIONS, PERMISSIONS, canSeeCost, mayTakeAction, type DocumentRoute } from '../../auth/permissions.ts';
import type { Actor } from '../../inventory/model.ts';
import { docEvents, getDoc, listDocs, type Doc, type Machine } from '../../inventory/documents/machine.ts';
import { PURCHASE_ORDER, PurchaseOrderInput, ReceiptInput, createPurchaseOrder, purchaseOrderAction } from '../../inventory/documents/purchase-orders.ts';
import { SALES_ORDER, SalesOrderInput, ShipInput, createSalesOrder, salesOrderAction } from '../../inventory/documents/sales-orders.ts';
import { CUSTOMER_RETURN, ReturnInput, createReturn, returnAction } from '../../inventory/documents/returns.ts';
import { COUNT_SESSION, CountSessionInput, countSessionAction, createCountSession } from '../../inventory/documents/count-sessions.ts';
import { ErrorBody } from '../schemas.ts';
import { Line, Text } from '../fields.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../../config.ts';

// Document workflows over one route shape per type: create, list, read (with its history), and
// one POST per action. The role per action is in cloud/auth/permissions.ts, the states each
// action may start from in the document's state machine.

interface Kind {
  machine: Machine;
  create: { schema: z.ZodType; run: (db: Db, body: any, actor: Actor) => Promise<Doc> };
  act: (db: Db, id: number, action: string, body: unknown, actor: Actor, settings: CloudSettings) => Promise<Doc>;
  /** body schema per action (OpenAPI and validation); others take an optional note */
  bodies?: Record<string, z.ZodType>;
}

const KINDS: Record<DocumentRoute, Kind> = {
  'purchase-orders': { machine: PURCHASE_ORDER, create: { schema: PurchaseOrderInput, run: createPurchaseOrder }, act: purchaseOrderAction, bodies: { receive: ReceiptInput } },
  'sales-orders': { machine: SALES_ORDER, create: { schema: SalesOrderInput, run: createSalesOrder }, act: salesOrderAction, bodies: { ship: ShipInput.optional() } },
  returns: { machine: CUSTOMER_RETURN, create: { schema: ReturnInput, run: createReturn }, act: returnAction },
  'count-sessions': { machine: COUNT_SESSION, create: { schema: CountSessionInput, run: createCountSession }, act: countSessionAction },
};

// 2xx bodies are documented by summary; coded errors by ErrorBody
const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const IdParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const NoteBody = z.object({ note: Text(1000).optional() }).passthrough().optional();

/**
 * What the caller may do to this document now: actions whose role rule admits the caller and
 * whose state rule admits the document. An approval level already given, or one the order does
 * not need, is not offered. The web UI shows exactly these buttons (it never guesses a rule).
 */
function mayNow(kind: Kind, path: DocumentRoute, d: Doc, role: string): string[] {
  return Object.keys(DOCUMENT_PERMISSIONS[path].actions).filter((action) => {
    if (!mayTakeAction(role, path, action) || role === 'device') return false;
    if (!(kind.machine.from[action] ?? []).includes(d.status)) return false;
    if (path === 'purchase-orders' && (action === 'approve' || action === 'reject') && role !== 'admin') {
      const required: string[] = d.data.requiredApprovals ?? ['finance'];
      const given = ((d.data.approvals ?? []) as { role: string }[]).map((a) => a.role);
      return required.includes(role) && !given.includes(role);
    }
    return true;
  });
}

/** purchase amounts and prices are cost: hidden from roles outside COST_ROLES */
function shape(d: Doc, role: string | undefined): Doc {
  if (d.type !== 'purchase_order' || canSeeCost(role)) return d;
  return { ...d, amountMinor: null, lines: d.lines.map(({ priceMinor: _p, ...rest }) => rest) };
}

export const documentRoutes = (db: Db, settings: CloudSettings = DEFAULT_SETTINGS): FastifyPluginAsyncZod => async (app) => {
  // what the caller's role may read and create, per document type (the web UI shows only those)
  app.get('/api/document-abilities', { schema: { tags: ['workflow'], summary: "the document types the caller's role may read and create, and the actions it may take on them" } }, async (req) => {
    const role = roleOf(req) ?? 'viewer';
    const admin = role === 'admin';
    const types = Object.fromEntries(Object.entries(DOCUMENT_PERMISSIONS).map(([path, p]) => [path, {
      read: admin || (p.read as readonly string[]).includes(role),
      create: admin || (p.create as readonly string[]).includes(role),
      actions: Object.keys(p.actions).filter((a) => mayTakeAction(role, path as DocumentRoute, a) && role !== 'device'),
    }]));
    // transfers and adjustments are movements, not documents: whoever may post a movement by hand
    const movers = PERMISSIONS['POST /api/movements'];
    const movements = admin || (Array.isArray(movers) && movers.includes(role as never) && role !== 'device');
    return { role, types, movements, costVisible: canSeeCost(role) };
  });
  for (const [path, kind] of Object.entries(KINDS) as [DocumentRoute, Kind][]) {
    const tags = [kind.machine.label];
    app.get(`/api/${path}`, {
      schema: { tags, summary: `list ${kind.machine.label}s, newest first`, querystring: z.object({ status: Line(40).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    }, async (req) => (await listDocs(db, kind.machine, req.query)).map((d) => shape(d, roleOf(req))));
    app.get(`/api/${path}/:id`, { schema: { tags, summary: `one ${kind.machine.label} with its history`, params: IdParam, response: errors } }, async (req) => {
      const d = await getDoc(db, kind.machine, req.params.id);
      const role = roleOf(req) ?? 'viewer';
      // what is waiting and for whom: the open tasks of this document (and of its goods receipts: a lot to inspect)
      const waiting = (await db.query<{ role: string; action: string; title: string; created_at: string }>(
        `SELECT t.role, t.action, t.title, t.created_at FROM tasks t JOIN documents x ON x.id = t.document_id
         WHERE t.status = 'open' AND (x.id = $1 OR (x.parent_id = $1 AND x.type = 'goods_receipt')) ORDER BY t.id`, [d.id]))
        .map((t) => ({ role: t.role, action: t.action, title: t.title, since: new Date(t.created_at).getTime() }));
      return { ...shape(d, role), events: await docEvents(db, d.id), waiting, may: mayNow(kind, path, d, role) };
    });
    app.post(`/api/${path}`, { schema: { tags, summary: `create a ${kind.machine.label}`, body: kind.create.schema, response: errors } }, async (req, reply) => {
      const d = await kind.create.run(db, req.body, actorOf(req));
      req.audit = { entity: kind.machine.type, entityId: d.id, before: null, after: d };
      return reply.code(201).send(shape(d, roleOf(req)));
    });
    for (const action of Object.keys(DOCUMENT_PERMISSIONS[path].actions)) {
      app.post(`/api/${path}/:id/${action}`, {
        schema: { tags, summary: `${action} (allowed from: ${(kind.machine.from[action] ?? []).join(', ')})`, params: IdParam, body: kind.bodies?.[action] ?? NoteBody, response: errors },
      }, async (req) => {
        const before = await getDoc(db, kind.machine, req.params.id);
        const after = await kind.act(db, req.params.id, action, req.body, actorOf(req), settings);
        req.audit = { entity: kind.machine.type, entityId: after.id, before, after };
        return shape(after, roleOf(req));
      });
    }
  }
};
