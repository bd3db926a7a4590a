import { z } from 'zod';
import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { Finite, Int32 } from '../api/fields.ts';
import { Currency, Id, Line, Measure, Money, Name, dec } from './model.ts';
import {
  checkSupplierUsable, conflictOnDuplicate, itemFromRow, locationFromRow, partnerFromRow,
  type Item, type ItemRow, type Location, type Partner, type PartnerTable,
} from './master-data.ts';

// Editing and archiving master data (issue #14). Edits are PATCH bodies: only the fields sent
// change, `null` clears an optional one, an unknown field is a 400 (a typo must not be a silent
// no-op). The key (SKU, id) and a location's place in the tree never change: documents and
// movements point at them. Archive = archived_at set: hidden from pickers, refused for new work
// (assertUsable), kept for history; restore clears it. Each returns before/after for the audit.

/** .strict() whose message names the unknown fields (the path of such an issue is the object itself) */
const strictBody = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape, {
  error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown field${iss.keys.length > 1 ? 's' : ''}: ${iss.keys.join(', ')}` : undefined),
});
/** at least one field: an empty PATCH is a mistake, not a no-op */
const notEmpty = (o: object) => Object.keys(o).length > 0;

export const ItemPatch = strictBody({
  gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, 'GTIN-8/12/13/14 digits').nullable().optional(),
  name: Name(200).optional(),
  unit: Name(20).optional(),
  pieceWeight: Measure.refine((n) => n > 0, 'must be positive').nullable().optional(),
  shelfLifeDays: Int32.positive().max(36_500).nullable().optional(),
  expiryAlertDays: z.number().int().nonnegative().max(3650).nullable().optional(),
  storageProfile: Line(50).nullable().optional(),
  safetyStock: Measure.refine((n) => n >= 0, 'must not be negative').optional(),
  leadTimeDays: Int32.nonnegative().max(3650).nullable().optional(),
  costMinor: Money.nullable().optional(),
  currency: Currency.optional(),
  lotTracked: z.boolean().optional(),
  allowNegative: z.boolean().optional(),
  preferredSupplier: Id.nullable().optional(),
}).refine(notEmpty, 'name at least one field to change');

export const LocationPatch = strictBody({
  name: Name(200).optional(),
  iotZone: Id.nullable().optional().describe('the IoT zone whose thermometers cover this location'),
  tempLow: Finite.nullable().optional(),
  tempHigh: Finite.nullable().optional(),
}).refine(notEmpty, 'name at least one field to change');

export const PartnerPatch = strictBody({ name: Name(200) });

const ITEM_COLUMNS: Record<string, { col: string; decimal?: boolean }> = {
  gtin: { col: 'gtin' }, name: { col: 'name' }, unit: { col: 'unit' }, pieceWeight: { col: 'piece_weight', decimal: true },
  shelfLifeDays: { col: 'shelf_life_days' }, expiryAlertDays: { col: 'expiry_alert_days' }, storageProfile: { col: 'storage_profile' },
  safetyStock: { col: 'safety_stock', decimal: true }, leadTimeDays: { col: 'lead_time_days' }, costMinor: { col: 'cost_minor' },
  currency: { col: 'currency' }, lotTracked: { col: 'lot_tracked' }, allowNegative: { col: 'allow_negative' },
  preferredSupplier: { col: 'preferred_supplier' },
};
const LOCATION_COLUMNS: Record<string, { col: string }> = {
  name: { col: 'name' }, iotZone: { col: 'iot_zone' }, tempLow: { col: 'temp_low' }, tempHigh: { col: 'temp_high' },
};

/** `SET a = $2, b = $3` from the fields present in a parsed patch (keys come from the column map, never the request) */
function setClause(patch: Record<string, unknown>, columns: Record<string, { col: string; decimal?: boolean }>) {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [k, v] of Object.entries(patch)) {
    const c = columns[k];
    if (!c || v === undefined) continue;
    params.push(v === null ? null : c.decimal ? dec(v as number) : v);
    sets.push(`${c.col} = $${params.length + 1}`);
  }
  return { sets, params };
}

async function lockedRow<R>(q: Queryable, table: string, key: string, id: string, what: string): Promise<R> {
  const [r] = await q.query<R>(`SELECT * FROM ${table} WHERE ${key} = $1 FOR UPDATE`, [id]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: key === 'sku' ? 'params.sku' : 'params.id', reason: `no ${what} "${id}"` });
  return r;
}

export async function updateItem(db: Db, sku: string, input: z.input<typeof ItemPatch>): Promise<{ before: Item; after: Item }> {
  const p = ItemPatch.parse(input);
  return db.tx(async (q) => {
    const before = itemFromRow(await lockedRow<ItemRow>(q, 'items', 'sku', sku, 'item'));
    if (p.preferredSupplier) await checkSupplierUsable(q, p.preferredSupplier, 'body.preferredSupplier');
    // lot tracking decides how every balance row of the item is keyed: fixed once stock has moved
    if (p.lotTracked !== undefined && p.lotTracked !== before.lotTracked
      && (await q.query('SELECT 1 FROM movements WHERE item = $1 LIMIT 1', [sku])).length) {
      throw new SpError('SP_ERR_CONFLICT', { field: 'body.lotTracked', reason: 'the item has movements: lot tracking cannot change any more' });
    }
    const { sets, params } = setClause(p, ITEM_COLUMNS);
    const [r] = await q.query<ItemRow>(`UPDATE items SET ${sets.join(', ')} WHERE sku = $1 RETURNING *`, [sku, ...params])
      .catch((e) => conflictOnDuplicate(e, 'body.gtin', 'an item with this GTIN'));
    return { before, after: itemFromRow(r!) };
  });
}

export async function updateLocation(db: Db, id: string, input: z.input<typeof LocationPatch>): Promise<{ before: Location; after: Location }> {
  const p = LocationPatch.parse(input);
  return db.tx(async (q) => {
    const before = locationFromRow(await lockedRow<Record<string, unknown>>(q, 'locations', 'id', id, 'location'));
    const low = p.tempLow === undefined ? before.tempLow : p.tempLow;
    const high = p.tempHigh === undefined ? before.tempHigh : p.tempHigh;
    if (low !== null && high !== null && low > high) {
      throw new SpError('SP_ERR_VALIDATION', { field: p.tempLow !== undefined ? 'body.tempLow' : 'body.tempHigh', reason: `the low limit (${low}) is above the high limit (${high})` });
    }
    const { sets, params } = setClause(p, LOCATION_COLUMNS);
    const [r] = await q.query<Record<string, unknown>>(`UPDATE locations SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, [id, ...params]);
    return { before, after: locationFromRow(r!) };
  });
}

export async function updatePartner(db: Db, table: PartnerTable, id: string, input: z.input<typeof PartnerPatch>): Promise<{ before: Partner; after: Partner }> {
  const p = PartnerPatch.parse(input);
  return db.tx(async (q) => {
    const before = partnerFromRow(await lockedRow<{ id: string; name: string; archived_at: Date | null }>(q, table, 'id', id, table.slice(0, -1)));
    const [r] = await q.query<{ id: string; name: string; archived_at: Date | null }>(
      `UPDATE ${table} SET name = $2 WHERE id = $1 RETURNING id, name, archived_at`, [id, p.name]);
    return { before, after: partnerFromRow(r!) };
  });
}

export type ArchiveTarget = 'items' | 'locations' | PartnerTable;
const KEY: Record<ArchiveTarget, string> = { items: 'sku', locations: 'id', suppliers: 'id', customers: 'id' };
const WHAT: Record<ArchiveTarget, string> = { items: 'item', locations: 'location', suppliers: 'supplier', customers: 'customer' };
const FROM_ROW: Record<ArchiveTarget, (r: any) => unknown> = {
  items: itemFromRow, locations: locationFromRow, suppliers: partnerFromRow, customers: partnerFromRow,
};

/** Why this record cannot be archived now (stock still in it, open work, live children), or undefined */
async function archiveBlocker(q: Queryable, table: ArchiveTarget, id: string): Promise<string | undefined> {
  if (table === 'items') {
    if ((await q.query('SELECT 1 FROM balances WHERE item = $1 AND on_hand <> 0 LIMIT 1', [id])).length) {
      return 'the item still has stock: ship, move or scrap it first';
    }
    if ((await q.query(`SELECT 1 FROM reservations WHERE item = $1 AND status IN ('active', 'committed') LIMIT 1`, [id])).length) {
      return 'the item has open reservations: release or fulfil them first';
    }
  }
  if (table === 'locations') {
    if ((await q.query('SELECT 1 FROM balances WHERE location = $1 AND on_hand <> 0 LIMIT 1', [id])).length) {
      return 'the location still holds stock: move it out first';
    }
    if ((await q.query('SELECT 1 FROM locations WHERE parent = $1 AND archived_at IS NULL LIMIT 1', [id])).length) {
      return 'the location has zones or bins in use: archive them first';
    }
  }
  return undefined;
}

/** archive (archived = true) or restore; archiving twice, or restoring what is in use, is a 409 */
export async function setArchived(db: Db, table: ArchiveTarget, id: string, archived: boolean): Promise<{ before: unknown; after: unknown }> {
  return db.tx(async (q) => {
    const key = KEY[table];
    // an item's stock changes under its item_positions lock (ledger.ts): take it so no movement slips in
    if (table === 'items') await q.query('SELECT 1 FROM item_positions WHERE item = $1 FOR UPDATE', [id]);
    const row = await lockedRow<Record<string, unknown>>(q, table, key, id, WHAT[table]);
    const field = key === 'sku' ? 'params.sku' : 'params.id';
    if (Boolean(row.archived_at) === archived) {
      throw new SpError('SP_ERR_CONFLICT', { field, reason: `${WHAT[table]} "${id}" is ${archived ? 'already archived' : 'not archived'}` });
    }
    if (archived) {
      const why = await archiveBlocker(q, table, id);
      if (why) throw new SpError('SP_ERR_ARCHIVED', { field, reason: why });
    } else if (table === 'locations' && row.parent) {
      const [p] = await q.query<{ archived_at: unknown }>('SELECT archived_at FROM locations WHERE id = $1', [row.parent]);
      if (p?.archived_at) throw new SpError('SP_ERR_ARCHIVED', { field, reason: `its parent "${row.parent as string}" is archived: restore that first` });
    }
    const [r] = await q.query(`UPDATE ${table} SET archived_at = ${archived ? 'now()' : 'NULL'} WHERE ${key} = $1 RETURNING *`, [id]);
    return { before: FROM_ROW[table](row), after: FROM_ROW[table](r) };
  });
}
