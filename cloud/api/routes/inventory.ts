import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf, roleOf } from '../../auth/guard.ts';
import { PERMISSIONS, canSeeCost, decide, type Role } from '../../auth/permissions.ts';
import {
  ChannelPoolInput, Id, ItemInput, LotCode, LocationInput, LotInput, LotStatusChange, MovementInput, PartnerInput, ReservationInput, SupplierPriceInput,
} from '../../inventory/model.ts';
import {
  ArchivedQuery, createItem, createLocation, createPartner, getItem, listItems, listLocations, listPartners, listSupplierPrices, setSupplierPrice, type Item,
} from '../../inventory/master-data.ts';
import { changeLotStatus, createLot, listLots, lotHistory } from '../../inventory/lots.ts';
import { listMovements, postMovement } from '../../inventory/ledger.ts';
import { getStock } from '../../inventory/stock.ts';
import { commitReservation, getReservation, listReservations, releaseReservation, reserve, setChannelPool } from '../../inventory/reservations.ts';
import { verifyLedger } from '../../inventory/verify.ts';
import { ItemPatch, LocationPatch, PartnerPatch, setArchived, updateItem, updateLocation, updatePartner, type ArchiveTarget } from '../../inventory/master-data-edit.ts';
import { itemLedger } from '../../inventory/item-ledger.ts';
import { ErrorBody } from '../schemas.ts';

// Master data, lots, the ledger, stock (available to promise), reservations and channel pools.
// Who may call what is in cloud/auth/permissions.ts; here only the response shaping by role.

const IdParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
// 2xx bodies are documented by summary; coded errors by ErrorBody
const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** sales (and anyone outside COST_ROLES) sees the item but never its cost */
const shapeItem = (item: Item, role: string | undefined): Omit<Item, 'costMinor'> & { costMinor?: number | null } => {
  if (canSeeCost(role)) return item;
  const { costMinor: _c, ...rest } = item;
  return rest;
};

export const inventoryRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  // ------------------------------------------------------------ who am I (the pages offer only what the role may do)
  // ------------------------------------------------------------ master data
  const archivedQs = z.object({ archived: ArchivedQuery });
  app.get('/api/items', { schema: { tags: ['master data'], summary: 'items in use (cost only for roles allowed to see it); ?archived=include|only', querystring: archivedQs } },
    async (req) => (await listItems(db, req.query.archived)).map((i) => shapeItem(i, roleOf(req))));
  app.get('/api/items/:sku', { schema: { tags: ['master data'], summary: 'one item', params: z.object({ sku: Id }), response: errors } },
    async (req) => shapeItem(await getItem(db, req.params.sku), roleOf(req)));
  app.post('/api/items', { schema: { tags: ['master data'], summary: 'create an item', body: ItemInput, response: errors } }, async (req, reply) => {
    const item = await createItem(db, req.body);
    req.audit = { entity: 'item', entityId: item.sku, before: null, after: item };
    return reply.code(201).send(shapeItem(item, roleOf(req)));
  });
  app.get('/api/locations', { schema: { tags: ['master data'], summary: 'locations in use: site → zone → bin; ?archived=include|only', querystring: archivedQs } },
    async (req) => listLocations(db, req.query.archived));
  app.post('/api/locations', { schema: { tags: ['master data'], summary: 'create a site, zone or bin', body: LocationInput, response: errors } }, async (req, reply) => {
    const loc = await createLocation(db, req.body);
    req.audit = { entity: 'location', entityId: loc.id, before: null, after: loc };
    return reply.code(201).send(loc);
  });
  for (const table of ['suppliers', 'customers'] as const) {
    app.get(`/api/${table}`, { schema: { tags: ['master data'], summary: `list ${table} in use; ?archived=include|only`, querystring: archivedQs } },
      async (req) => listPartners(db, table, req.query.archived));
    app.post(`/api/${table}`, { schema: { tags: ['master data'], summary: `create a ${table.slice(0, -1)}`, body: PartnerInput, response: errors } }, async (req, reply) => {
      const p = await createPartner(db, table, req.body);
      req.audit = { entity: table.slice(0, -1), entityId: p.id, before: null, after: p };
      return reply.code(201).send(p);
    });
  }
  // ------------------------------------------------------------ edit and archive (master-data-edit.ts)
  app.patch('/api/items/:sku', {
    schema: { tags: ['master data'], summary: 'change an item (only the fields sent; null clears; the SKU never changes)', params: z.object({ sku: Id }), body: ItemPatch, response: errors },
  }, async (req) => {
    const { before, after } = await updateItem(db, req.params.sku, req.body);
    req.audit = { entity: 'item', entityId: after.sku, before, after };
    return shapeItem(after, roleOf(req));
  });
  app.patch('/api/locations/:id', {
    schema: { tags: ['master data'], summary: 'rename a location or change the IoT zone and limits that watch it', params: z.object({ id: Id }), body: LocationPatch, response: errors },
  }, async (req) => {
    const { before, after } = await updateLocation(db, req.params.id, req.body);
    req.audit = { entity: 'location', entityId: after.id, before, after };
    return after;
  });
  for (const table of ['suppliers', 'customers'] as const) {
    app.patch(`/api/${table}/:id`, {
      schema: { tags: ['master data'], summary: `rename a ${table.slice(0, -1)}`, params: z.object({ id: Id }), body: PartnerPatch, response: errors },
    }, async (req) => {
      const { before, after } = await updatePartner(db, table, req.params.id, req.body);
      req.audit = { entity: table.slice(0, -1), entityId: after.id, before, after };
      return after;
    });
  }
  const ARCHIVE: { table: ArchiveTarget; path: string; entity: string }[] = [
    { table: 'items', path: '/api/items/:sku', entity: 'item' },
    { table: 'suppliers', path: '/api/suppliers/:id', entity: 'supplier' },
    { table: 'customers', path: '/api/customers/:id', entity: 'customer' },
    { table: 'locations', path: '/api/locations/:id', entity: 'location' },
  ];
  for (const a of ARCHIVE) {
    for (const action of ['archive', 'restore'] as const) {
      const params = a.table === 'items' ? z.object({ sku: Id }) : z.object({ id: Id });
      app.post(`${a.path}/${action}`, {
        schema: {
          tags: ['master data'], params, response: errors,
          summary: action === 'archive' ? `archive a ${a.entity}: hidden from pickers, refused for new work (SP_ERR_ARCHIVED), kept for history` : `bring an archived ${a.entity} back into use`,
        },
      }, async (req) => {
        const p = req.params as { sku?: string; id?: string };
        const key = (p.sku ?? p.id)!;
        const { before, after } = await setArchived(db, a.table, key, action === 'archive');
        req.audit = { entity: a.entity, entityId: key, before, after };
        return a.table === 'items' ? shapeItem(after as Item, roleOf(req)) : after;
      });
    }
  }

  app.get('/api/suppliers/:id/prices', { schema: { tags: ['master data'], summary: "a supplier's prices (minor units)", params: z.object({ id: Id }) } },
    async (req) => listSupplierPrices(db, req.params.id));
  app.post('/api/suppliers/:id/prices', {
    schema: { tags: ['master data'], summary: 'set a supplier price for an item', params: z.object({ id: Id }), body: SupplierPriceInput, response: errors },
  }, async (req) => setSupplierPrice(db, req.params.id, req.body));

  // ------------------------------------------------------------ lots
  app.get('/api/lots', { schema: { tags: ['lots'], summary: 'lots, by item and expiry', querystring: z.object({ item: Id.optional() }) } },
    async (req) => listLots(db, req.query.item));
  app.post('/api/lots', { schema: { tags: ['lots'], summary: 'register a lot', body: LotInput, response: errors } }, async (req, reply) => {
    const lot = await createLot(db, req.body, actorOf(req));
    req.audit = { entity: 'lot', entityId: lot.id, before: null, after: lot };
    return reply.code(201).send(lot);
  });
  app.post('/api/lots/:id/status', {
    schema: { tags: ['lots'], summary: 'change a lot status (quarantine, release, reject) with a reason', params: IdParam, body: LotStatusChange, response: errors },
  }, async (req) => {
    const { before, after } = await changeLotStatus(db, req.params.id, req.body.status, req.body.reason, actorOf(req));
    req.audit = { entity: 'lot', entityId: after.id, before, after };
    return after;
  });
  app.get('/api/lots/:id/history', { schema: { tags: ['lots'], summary: 'status history of a lot (who, when, why)', params: IdParam, response: errors } },
    async (req) => lotHistory(db, req.params.id));

  // ------------------------------------------------------------ ledger and stock
  app.get('/api/movements', {
    schema: { tags: ['ledger'], summary: 'movements, newest first', querystring: z.object({ item: Id.optional(), before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  }, async (req) => listMovements(db, req.query));
  app.post('/api/movements', {
    schema: { tags: ['ledger'], summary: 'post a stock movement (insert-only; the same idempotencyKey returns the first result)', body: MovementInput, response: errors },
  }, async (req, reply) => {
    // a device credential's movements are recorded as device-sourced whatever it claims
    const input = req.auth?.role === 'device' ? { ...req.body, sourceType: 'device' as const } : req.body;
    const { movement, duplicate, overReserved } = await postMovement(db, input, actorOf(req));
    req.audit = { entity: 'movement', entityId: movement.id, before: null, after: movement };
    // a count correction that left less sellable stock than is reserved says so (reservation-bind.ts)
    return reply.code(duplicate ? 200 : 201).send({ ...movement, duplicate, ...(overReserved ? { overReserved } : {}) });
  });
  app.get('/api/ledger', {
    schema: {
      tags: ['ledger'], summary: "one item's movements with the signed change and the running balance, for a location (and its bins) or everywhere, newest first",
      querystring: z.object({ item: Id, location: Id.optional(), lot: LotCode.optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }), response: errors,
    },
  }, async (req) => itemLedger(db, req.query));
  app.get('/api/stock', {
    schema: { tags: ['stock'], summary: 'on hand, reserved, quarantined, expired and available to promise, by lot', querystring: z.object({ item: Id.optional(), location: Id.optional() }) },
  }, async (req) => getStock(db, req.query));
  app.get('/api/inventory/verify', { schema: { tags: ['ledger'], summary: 'recompute balances from the ledger and list differences' } }, async () => verifyLedger(db));

  // ------------------------------------------------------------ reservations
  app.get('/api/reservations', {
    schema: { tags: ['reservations'], summary: 'reservations, newest first', querystring: z.object({ item: Id.optional(), status: z.enum(['active', 'committed', 'released', 'expired', 'fulfilled']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  }, async (req) => listReservations(db, req.query));
  app.post('/api/reservations', {
    schema: { tags: ['reservations'], summary: 'hold stock for a channel for ttl seconds (409 when not enough is available)', body: ReservationInput, response: errors },
  }, async (req, reply) => {
    const r = await reserve(db, req.body, actorOf(req));
    req.audit = { entity: 'reservation', entityId: r.reservation.id, before: null, after: r.reservation };
    return reply.code(r.duplicate ? 200 : 201).send({ ...r.reservation, duplicate: r.duplicate, available: r.available });
  });
  for (const action of ['commit', 'release'] as const) {
    app.post(`/api/reservations/:id/${action}`, {
      schema: { tags: ['reservations'], summary: action === 'commit' ? 'payment received: keep the hold without expiry' : 'give the quantity back to the pool', params: IdParam, response: errors },
    }, async (req) => {
      const before = await getReservation(db, req.params.id);
      const after = action === 'commit' ? await commitReservation(db, req.params.id) : await releaseReservation(db, req.params.id);
      req.audit = { entity: 'reservation', entityId: after.id, before, after };
      return after;
    });
  }
  app.put('/api/channel-pools/:item/:channel', {
    schema: { tags: ['reservations'], summary: 'protect a quantity of an item for one channel', params: z.object({ item: Id, channel: Id }), body: ChannelPoolInput, response: errors },
  }, async (req) => {
    const pool = await setChannelPool(db, req.params.item, req.params.channel, req.body.qty);
    req.audit = { entity: 'channel_pool', entityId: `${pool.item}/${pool.channel}`, after: pool };
    return pool;
  });
};
