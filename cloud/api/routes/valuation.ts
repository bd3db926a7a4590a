import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { SpError } from '../../../protocols/errors.ts';
import { RangeQuery, dayRange, rangeOut } from '../../planning/analytics/range.ts';
import { DAY_MS } from '../../planning/days.ts';
import { EARLIEST_MOVEMENT } from '../fields.ts';
import { stockValue } from '../../inventory/valuation/stock-value.ts';
import { cogs } from '../../inventory/valuation/cogs.ts';
import { payables } from '../../inventory/valuation/payables.ts';
import { receivables } from '../../inventory/valuation/receivables.ts';
import { ErrorBody } from '../schemas.ts';

// Stock value that finance can trust (cloud/inventory/valuation/): every figure is the ledger read
// again at the moving-average cost, money as exact decimal text in minor units. All of it is cost
// data: only COST_ROLES (cloud/auth/permissions.ts) reach these routes, everyone else gets the
// guard's 403 SP_ERR_FORBIDDEN.

const errors = { 200: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

const ValueQuery = z.object({
  by: z.enum(['item', 'location', 'lot']).default('item').describe('split the value by location or by lot (the per-item list is always there)'),
  at: z.string().datetime({ offset: true }).optional().describe('value as of this moment (ISO 8601 with offset): the ledger up to it'),
});

export const valuationRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/valuation', {
    schema: { tags: ['valuation'], summary: 'per item: on hand, moving-average cost and value (minor units, exact decimals); totals per currency; ?by=location|lot; ?at=', querystring: ValueQuery, response: errors },
  }, async (req) => {
    const atMs = req.query.at === undefined ? null : Date.parse(req.query.at);
    if (atMs !== null && (atMs < EARLIEST_MOVEMENT || atMs > Date.now() + DAY_MS)) {
      throw new SpError('SP_ERR_VALIDATION', { field: 'querystring.at', reason: 'a moment from 2000 to at most one day ahead' });
    }
    return stockValue(db, { by: req.query.by, atMs });
  });
  app.get('/api/valuation/cogs', {
    schema: { tags: ['valuation'], summary: 'per shipment line in the period (whole UTC days): qty, unit cost, COGS, revenue at the sales order price, margin; returns as negative lines', querystring: RangeQuery, response: errors },
  }, async (req) => {
    const range = dayRange(req.query);
    return cogs(db, { fromMs: range.fromDay * DAY_MS, toMs: range.toDay * DAY_MS, ...rangeOut(range) });
  });
  app.get('/api/valuation/payables', {
    schema: { tags: ['valuation'], summary: 'per supplier: value received against purchase orders (at the order price), paid (the finance pay task done) and open', querystring: z.object({}).strict(), response: errors },
  }, async () => payables(db));
  app.get('/api/valuation/receivables', {
    schema: { tags: ['valuation'], summary: 'per customer: value shipped against sales orders (at the order price), less returns', querystring: z.object({}).strict(), response: errors },
  }, async () => receivables(db));
};
