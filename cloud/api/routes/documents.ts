import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf, roleOf } from '../../auth/guard.ts';
import { DOCUMENT_PERMISSIONS, canSeeCost, type DocumentRoute } from '../../auth/permissions.ts';
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

/** purchase amounts and prices are cost: hidden from roles outside COST_ROLES */
function shape(d: Doc, role: string | undefined): Doc {
  if (d.type !== 'purchase_order' || canSeeCost(role)) return d;
  return { ...d, amountMinor: null, lines: d.lines.map(({ priceMinor: _p, ...rest }) => rest) };
}

export const documentRoutes = (db: Db, settings: CloudSettings = DEFAULT_SETTINGS): FastifyPluginAsyncZod => async (app) => {
  for (const [path, kind] of Object.entries(KINDS) as [DocumentRoute, Kind][]) {
    const tags = [kind.machine.label];
    app.get(`/api/${path}`, {
      schema: { tags, summary: `list ${kind.machine.label}s, newest first`, querystring: z.object({ status: Line(40).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    }, async (req) => (await listDocs(db, kind.machine, req.query)).map((d) => shape(d, roleOf(req))));
    app.get(`/api/${path}/:id`, { schema: { tags, summary: `one ${kind.machine.label} with its history`, params: IdParam, response: errors } }, async (req) => {
      const d = await getDoc(db, kind.machine, req.params.id);
      return { ...shape(d, roleOf(req)), events: await docEvents(db, d.id) };
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
