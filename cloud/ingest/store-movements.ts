import type { MovementEvent, UplinkBatch } from '../../protocols/uplink/contract.ts';
import { isSpError } from '../../protocols/errors.ts';
import type { Queryable } from '../db/engine.ts';
import { postMovementIn } from '../inventory/ledger.ts';
import { createLot, findLot, splitOverBinLots } from '../inventory/lots.ts';
import { resolveItem, resolveLocation } from '../inventory/master-data.ts';
import { purchaseOrderActionIn } from '../inventory/documents/purchase-orders.ts';
import { shipSalesOrderIn } from '../inventory/documents/sales-orders.ts';
import type { Actor } from '../inventory/model.ts';
import { parseDocumentRef } from './document-refs.ts';
import { checkCountDrift, type RaiseAlert, type Weighing } from '../inventory/count-drift.ts';
import { recordException } from '../inventory/stock-exceptions.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../config.ts';

// The movements of an uplink batch → the immutable ledger, in the batch's own transaction.
// A translator: each event becomes calls into the inventory services the API uses (master-data
// lookups, ledger.ts, lots.ts, the document services, stock-exceptions.ts, count-drift.ts);
// what is decided about stock is decided there, not here.
//
// Every event is kept in device_movements under `gateway:id` (the idempotency key): an event
// seen before changes nothing, so a redelivered batch — or the same pass sent in two batches —
// books once. What the edge matched decides the posting:
// - a receipt naming a purchase order the cloud pushed down (`po:N`) is that order's goods
//   receipt (lots created, order → partially_received / received);
// - a shipment naming a picked sales order (`so:N`) ships that part of it from the picked bins,
//   against the order's own reservations;
//   both through the document services the API uses (purchase-orders.ts, sales-orders.ts), as
//   the device role: the same permission matrix and state machine, nothing rebuilt here;
// - other documents (ones the site configured itself) and scale changes post plain device
//   movements (a refill is an adjustment into the bin: the scale cannot know where it came from);
// - a `count` posts nothing: it is what a scale weighed, for the drift check (count-drift.ts).
// A movement the ledger refuses (unknown GTIN or bin, not enough stock, stock that reservations
// hold for someone else, an order not picked or already complete) is not lost and does not block the batch: it is kept with its reason and listed as
// an exception for a person. Each posting runs under a savepoint so a refusal rolls back only
// its own partial writes.

/** the rules' settings ingest applies (cloud/config.ts); the defaults when a caller gives none */
export type IngestSettings = Pick<CloudSettings, 'STOCKPULSE_COUNT_DRIFT_PCT'>;

/** returns the notification deliveries created by cloud-side alerts (count drift) */
export async function storeMovements(q: Queryable, batch: UplinkBatch, raise: RaiseAlert, settings: IngestSettings = DEFAULT_SETTINGS): Promise<number> {
  let deliveries = 0;
  for (const a of batch.alerts) {
    if (a.transition === 'raised' && (a.rule === 'unexpected_receipt' || a.rule === 'unauthorised_removal')) {
      await recordException(q, { key: `alert:${a.id}`, kind: a.rule, gateway: batch.gateway, zone: a.zone, device: a.sensor, alertId: a.id, message: a.message, at: a.ts });
    }
  }
  // Two cloud instances handling the same events at once (a batch resent on a new stream while
  // the old one was still in flight elsewhere) take turns per gateway — one lock per batch, held
  // to commit — so the second sees the first one's rows and books nothing.
  if (batch.movements.length) await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`device_movements:${batch.gateway}`]);
  for (const m of batch.movements) deliveries += await storeMovement(q, batch.gateway, m, raise, settings);
  return deliveries;
}

interface Outcome { outcome: 'posted' | 'exception' | 'observed'; movementIds: number[]; reason?: string }

async function storeMovement(q: Queryable, gateway: string, m: MovementEvent, raise: RaiseAlert, settings: IngestSettings): Promise<number> {
  const eventId = `${gateway}:${m.id}`;
  if ((await q.query('SELECT 1 FROM device_movements WHERE event_id = $1', [eventId])).length) return 0;
  const sku = await resolveItem(q, m.item);
  const location = await resolveLocation(q, m.location.zone, m.location.bin);
  let out: Outcome;
  if (m.type === 'count') out = { outcome: 'observed', movementIds: [] };
  else if (!sku) out = { outcome: 'exception', movementIds: [], reason: `no item with ${m.item.gtin ? `GTIN ${m.item.gtin}` : `SKU ${m.item.sku}`}` };
  else if (!location) out = { outcome: 'exception', movementIds: [], reason: `no location for zone "${m.location.zone}"${m.location.bin ? ` / bin "${m.location.bin}"` : ''}` };
  else out = await underSavepoint(q, () => post(q, m, eventId, sku, location));
  await q.query(
    `INSERT INTO device_movements (event_id, gateway, type, ts, device, source_kind, item, gtin, qty, unit, zone, bin, lot, document, outcome, movement_ids, reason, evidence)
     VALUES ($1,$2,$3,to_timestamp($4 / 1000.0),$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16::bigint[],$17,$18::jsonb)
     ON CONFLICT (event_id) DO NOTHING`,
    [eventId, gateway, m.type, m.ts, m.source.device, m.source.kind, sku ?? m.item.sku ?? null, m.item.gtin ?? null, m.quantity, m.unit,
      m.location.zone, m.location.bin ?? null, m.lot ?? null, m.document ?? null, out.outcome, out.movementIds, out.reason ?? null, JSON.stringify(m.evidence)],
  );
  if (out.outcome === 'exception') {
    await recordException(q, {
      key: `event:${eventId}`, kind: 'unposted_movement', gateway, zone: m.location.zone, device: m.source.device, eventId, at: m.ts,
      message: `${m.type} of ${m.quantity} ${m.unit} ${m.item.gtin ?? m.item.sku} from ${m.source.device} was not booked: ${out.reason}`,
    });
  }
  const weighed = m.source.kind === 'scale' && sku && location ? weighingOf(gateway, m, sku, location) : undefined;
  return weighed ? checkCountDrift(q, weighed, raise, settings.STOCKPULSE_COUNT_DRIFT_PCT) : 0;
}

/** what a scale's event says it weighed: a count's quantity, or the weight a consumption / refill carries */
function weighingOf(gateway: string, m: MovementEvent, item: string, location: string): Weighing | undefined {
  const weighed = m.type === 'count' ? m.quantity : typeof m.evidence.weighedQuantity === 'number' ? m.evidence.weighedQuantity : undefined;
  if (weighed === undefined) return undefined;
  const tolerance = typeof m.evidence.toleranceQuantity === 'number' ? m.evidence.toleranceQuantity : 0;
  return { gateway, device: m.source.device, zone: m.location.zone, item, location, weighed, tolerance, unit: m.unit, at: m.ts };
}

/** SQLSTATEs worth a retry: deadlock, serialization failure, lock not available, statement timeout, unique violation (a race) */
const TRANSIENT = new Set(['40P01', '40001', '55P03', '57014', '23505']);

async function underSavepoint(q: Queryable, fn: () => Promise<number[]>): Promise<Outcome> {
  await q.query('SAVEPOINT device_movement');
  try {
    const movementIds = await fn();
    await q.query('RELEASE SAVEPOINT device_movement');
    return { outcome: 'posted', movementIds };
  } catch (e) {
    await q.query('ROLLBACK TO SAVEPOINT device_movement');
    // A passing database condition (deadlock, serialization, lock/statement timeout, a lot
    // created by another gateway at the same moment) is not the movement's fault: fail the whole
    // batch, unacknowledged, and the gateway resends it. Only the domain's own refusals (SpError)
    // become an exception for a person to resolve.
    if (!isSpError(e) && TRANSIENT.has(String((e as { code?: unknown }).code))) throw e;
    const reason = isSpError(e) ? e.details.map((d) => d.reason).join('; ') : (e as Error).message;
    return { outcome: 'exception', movementIds: [], reason };
  }
}

async function post(q: Queryable, m: MovementEvent, eventId: string, sku: string, location: string): Promise<number[]> {
  const actor: Actor = { name: `device:${m.source.device}`, role: 'device' };
  const key = `device:${eventId}`;
  const at = new Date(m.ts).toISOString();
  const ref = parseDocumentRef(m.document);
  if (m.type === 'receipt' && ref?.type === 'purchase_order') {
    await purchaseOrderActionIn(q, ref.id, 'receive', { location, idempotencyKey: key, lines: [{ item: sku, qty: m.quantity, ...(m.lot ? { lot: m.lot } : {}) }] }, actor);
    const [gr] = await q.query<{ movements: number[] | null }>(
      `SELECT data->'movements' AS movements FROM documents WHERE type = 'goods_receipt' AND parent_id = $1 AND data->>'idempotencyKey' = $2`, [ref.id, key]);
    return (gr?.movements ?? []).map(Number);
  }
  if (m.type === 'shipment' && ref?.type === 'sales_order') {
    return (await shipSalesOrderIn(q, ref.id, { part: { item: sku, qty: m.quantity, ...(m.lot ? { lot: m.lot } : {}) }, idempotencyKey: key, at }, actor)).movements;
  }
  const note = `${m.source.kind} ${m.source.device}${m.document ? `, document ${m.document}` : ''}`;
  const base = { item: sku, sourceType: 'device' as const, sourceRef: m.document ?? m.source.device, note, at };
  if (m.type === 'receipt' || m.type === 'refill') {
    if (m.lot && !(await findLot(q, sku, m.lot))) await createLot(q, { item: sku, code: m.lot }, actor);
    const kind = m.type === 'receipt' ? 'receipt' : 'adjustment';
    return [(await postMovementIn(q, { ...base, kind, to: location, qty: m.quantity, lot: m.lot, idempotencyKey: key }, actor)).movement.id];
  }
  // out of a bin: shipment (portal, no cloud document) or consumption (scale)
  const kind = m.type === 'shipment' ? 'shipment' : 'consumption';
  const parts = m.lot ? [{ lot: m.lot as string | undefined, qty: m.quantity }] : await splitOverBinLots(q, sku, location, m.quantity);
  const ids: number[] = [];
  for (const [i, p] of parts.entries()) {
    ids.push((await postMovementIn(q, { ...base, kind, from: location, qty: p.qty, lot: p.lot, idempotencyKey: parts.length > 1 ? `${key}:${i}` : key }, actor)).movement.id);
  }
  return ids;
}
