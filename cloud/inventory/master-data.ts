import { z } from 'zod';
import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { ItemInput, LocationInput, PartnerInput, SupplierPriceInput, dec, num } from './model.ts';

// Master data: items, locations (site → zone → bin), suppliers with their prices, customers.
// Created and edited here, never deleted (movements refer to them): archived instead
// (master-data-edit.ts). Cost is returned and the API layer strips it for roles that must not see it.

export interface Item {
  sku: string; gtin: string | null; name: string; unit: string; pieceWeight: number | null;
  shelfLifeDays: number | null; storageProfile: string | null; safetyStock: number; leadTimeDays: number | null;
  costMinor: number | null; currency: string; lotTracked: boolean; allowNegative: boolean; expiryAlertDays: number | null;
  preferredSupplier: string | null;
  /** present only on an archived item (ISO time): kept for history, refused for new work */
  archivedAt?: string;
}

export interface ItemRow {
  sku: string; gtin: string | null; name: string; unit: string; piece_weight: string | null; shelf_life_days: number | null;
  storage_profile: string | null; safety_stock: string; lead_time_days: number | null; cost_minor: string | null;
  currency: string; lot_tracked: boolean; allow_negative: boolean; expiry_alert_days: number | null;
  preferred_supplier?: string | null; archived_at?: Date | string | null;
}

/** the archived flag as it leaves the API: absent while in use, so existing readers see no change */
export const archivedField = (at: Date | string | null | undefined): { archivedAt?: string } =>
  (at === null || at === undefined ? {} : { archivedAt: new Date(at).toISOString() });

export const itemFromRow = (r: ItemRow): Item => ({
  sku: r.sku, gtin: r.gtin, name: r.name, unit: r.unit, pieceWeight: r.piece_weight === null ? null : num(r.piece_weight),
  shelfLifeDays: r.shelf_life_days, storageProfile: r.storage_profile, safetyStock: num(r.safety_stock),
  leadTimeDays: r.lead_time_days, costMinor: r.cost_minor === null ? null : Number(r.cost_minor), currency: r.currency,
  lotTracked: r.lot_tracked, allowNegative: r.allow_negative, expiryAlertDays: r.expiry_alert_days ?? null,
  preferredSupplier: r.preferred_supplier ?? null, ...archivedField(r.archived_at),
});

/** Postgres unique_violation → a 409 naming the field */
export function conflictOnDuplicate(e: unknown, field: string, what: string): never {
  if ((e as { code?: string }).code === '23505') throw new SpError('SP_ERR_CONFLICT', { field, reason: `${what} already exists` });
  throw e;
}

/** a supplier named on an item (preferred supplier) must exist and be in use */
export async function checkSupplierUsable(q: Queryable, id: string, field: string): Promise<void> {
  const [s] = await q.query<{ archived_at: unknown }>('SELECT archived_at FROM suppliers WHERE id = $1', [id]);
  if (!s) throw new SpError('SP_ERR_VALIDATION', { field, reason: `no supplier "${id}"` });
  if (s.archived_at) throw new SpError('SP_ERR_ARCHIVED', { field, reason: `supplier "${id}" is archived` });
}

export async function createItem(db: Db, input: z.input<typeof ItemInput>): Promise<Item> {
  const i = ItemInput.parse(input);
  return db.tx(async (q) => {
    if (i.preferredSupplier) await checkSupplierUsable(q, i.preferredSupplier, 'body.preferredSupplier');
    const rows = await q.query<ItemRow>(
      `INSERT INTO items (sku, gtin, name, unit, piece_weight, shelf_life_days, storage_profile, safety_stock, lead_time_days,
                          cost_minor, currency, lot_tracked, allow_negative, expiry_alert_days, preferred_supplier)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING *`,
      [i.sku, i.gtin ?? null, i.name, i.unit, i.pieceWeight === undefined ? null : dec(i.pieceWeight), i.shelfLifeDays ?? null,
        i.storageProfile ?? null, dec(i.safetyStock), i.leadTimeDays ?? null, i.costMinor ?? null, i.currency, i.lotTracked, i.allowNegative,
        i.expiryAlertDays ?? null, i.preferredSupplier ?? null],
    ).catch((e) => conflictOnDuplicate(e, 'body.sku', `item "${i.sku}" (or its GTIN)`));
    await q.query('INSERT INTO item_positions (item) VALUES ($1)', [i.sku]);
    return itemFromRow(rows[0]!);
  });
}

export async function getItem(q: Queryable, sku: string): Promise<Item> {
  const [r] = await q.query<ItemRow>('SELECT * FROM items WHERE sku = $1', [sku]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'item', reason: `no item with SKU "${sku}"` });
  return itemFromRow(r);
}

/** which rows a list shows: in use (default, what pickers offer), archived ones too, or only those */
export type ArchivedFilter = 'exclude' | 'include' | 'only';
export const ArchivedQuery = z.enum(['exclude', 'include', 'only']).default('exclude')
  .describe('exclude (default: what pickers offer), include, or only archived records');
const archivedWhere = (f: ArchivedFilter = 'exclude') =>
  (f === 'include' ? 'TRUE' : f === 'only' ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');

export async function listItems(db: Db, archived?: ArchivedFilter): Promise<Item[]> {
  return (await db.query<ItemRow>(`SELECT * FROM items WHERE ${archivedWhere(archived)} ORDER BY sku`)).map(itemFromRow);
}

export interface Location {
  id: string; kind: 'site' | 'zone' | 'bin'; parent: string | null; name: string;
  iotZone: string | null; tempLow: number | null; tempHigh: number | null;
  archivedAt?: string;
}
const PARENT_KIND = { site: null, zone: 'site', bin: 'zone' } as const;

export async function createLocation(db: Db, input: z.input<typeof LocationInput>): Promise<Location> {
  const l = LocationInput.parse(input);
  const want = PARENT_KIND[l.kind];
  if (want === null && l.parent) throw new SpError('SP_ERR_VALIDATION', { field: 'body.parent', reason: 'a site has no parent' });
  if (want !== null) {
    if (!l.parent) throw new SpError('SP_ERR_VALIDATION', { field: 'body.parent', reason: `a ${l.kind} needs a parent ${want}` });
    const [p] = await db.query<{ kind: string; archived_at: unknown }>('SELECT kind, archived_at FROM locations WHERE id = $1', [l.parent]);
    if (!p) throw new SpError('SP_ERR_VALIDATION', { field: 'body.parent', reason: `no location "${l.parent}"` });
    if (p.kind !== want) throw new SpError('SP_ERR_VALIDATION', { field: 'body.parent', reason: `a ${l.kind}'s parent must be a ${want}, "${l.parent}" is a ${p.kind}` });
    if (p.archived_at) throw new SpError('SP_ERR_ARCHIVED', { field: 'body.parent', reason: `location "${l.parent}" is archived` });
  }
  const [r] = await db.query<Record<string, unknown>>(
    `INSERT INTO locations (id, kind, parent, name, iot_zone, temp_low, temp_high) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *`,
    [l.id, l.kind, l.parent ?? null, l.name, l.iotZone ?? null, l.tempLow ?? null, l.tempHigh ?? null],
  ).catch((e) => conflictOnDuplicate(e, 'body.id', `location "${l.id}"`));
  return locationFromRow(r!);
}

export const locationFromRow = (r: Record<string, unknown>): Location => ({
  id: r.id as string, kind: r.kind as Location['kind'], parent: (r.parent as string | null) ?? null, name: r.name as string,
  iotZone: (r.iot_zone as string | null) ?? null, tempLow: (r.temp_low as number | null) ?? null, tempHigh: (r.temp_high as number | null) ?? null,
  ...archivedField(r.archived_at as Date | null),
});

export async function listLocations(db: Db, archived?: ArchivedFilter): Promise<Location[]> {
  return (await db.query<Record<string, unknown>>(`SELECT * FROM locations WHERE ${archivedWhere(archived)} ORDER BY id`)).map(locationFromRow);
}

export type PartnerTable = 'suppliers' | 'customers';
export interface Partner { id: string; name: string; archivedAt?: string }
export const partnerFromRow = (r: { id: string; name: string; archived_at?: Date | string | null }): Partner =>
  ({ id: r.id, name: r.name, ...archivedField(r.archived_at) });

export async function createPartner(db: Db, table: PartnerTable, input: z.input<typeof PartnerInput>): Promise<Partner> {
  const p = PartnerInput.parse(input);
  await db.query(`INSERT INTO ${table} (id, name) VALUES ($1, $2)`, [p.id, p.name])
    .catch((e) => conflictOnDuplicate(e, 'body.id', `${table === 'suppliers' ? 'supplier' : 'customer'} "${p.id}"`));
  return p;
}

export async function listPartners(db: Db, table: PartnerTable, archived?: ArchivedFilter): Promise<Partner[]> {
  return (await db.query<{ id: string; name: string; archived_at: Date | null }>(
    `SELECT id, name, archived_at FROM ${table} WHERE ${archivedWhere(archived)} ORDER BY id`)).map(partnerFromRow);
}

export async function setSupplierPrice(db: Db, supplier: string, input: z.input<typeof SupplierPriceInput>) {
  const p = SupplierPriceInput.parse(input);
  const [s] = await db.query<{ archived_at: unknown }>('SELECT archived_at FROM suppliers WHERE id = $1', [supplier]);
  if (!s) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no supplier "${supplier}"` });
  if (s.archived_at) throw new SpError('SP_ERR_ARCHIVED', { field: 'params.id', reason: `supplier "${supplier}" is archived` });
  await getItem(db, p.item);
  await db.query(
    `INSERT INTO supplier_prices (supplier, item, price_minor, currency, valid_from) VALUES ($1,$2,$3,$4,coalesce($5::date, current_date))
     ON CONFLICT (supplier, item, valid_from) DO UPDATE SET price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency`,
    [supplier, p.item, p.priceMinor, p.currency, p.validFrom ?? null]);
  return listSupplierPrices(db, supplier);
}

export async function listSupplierPrices(db: Db, supplier: string) {
  const rows = await db.query<{ item: string; price_minor: string; currency: string; valid_from: Date | string }>(
    'SELECT item, price_minor, currency, valid_from::text AS valid_from FROM supplier_prices WHERE supplier = $1 ORDER BY item, valid_from', [supplier]);
  return rows.map((r) => ({ item: r.item, priceMinor: Number(r.price_minor), currency: r.currency, validFrom: String(r.valid_from) }));
}

/**
 * For new work (movements, documents): the item / location / partner must exist and not be
 * archived. Old rows keep resolving through getItem and the plain lookups.
 */
export async function assertUsable(q: Queryable, table: 'items' | 'locations' | PartnerTable, id: string, field: string): Promise<void> {
  const key = table === 'items' ? 'sku' : 'id';
  const [r] = await q.query<{ archived_at: unknown }>(`SELECT archived_at FROM ${table} WHERE ${key} = $1`, [id]);
  const what = { items: 'item', locations: 'location', suppliers: 'supplier', customers: 'customer' }[table];
  if (!r) throw new SpError('SP_ERR_VALIDATION', { field, reason: `no ${what} "${id}"` });
  if (r.archived_at) throw new SpError('SP_ERR_ARCHIVED', { field, reason: `${what} "${id}" is archived: restore it or choose another` });
}

/**
 * The SKU a device names by GTIN or SKU. GTINs compare as GTIN-14 (a GTIN-13 in master data is
 * the same trade item with a leading 0).
 */
export async function resolveItem(q: Queryable, item: { gtin?: string; sku?: string }): Promise<string | undefined> {
  if (item.gtin) {
    const [r] = await q.query<{ sku: string }>(`SELECT sku FROM items WHERE lpad(gtin, 14, '0') = lpad($1, 14, '0')`, [item.gtin]);
    if (r) return r.sku;
  }
  if (item.sku) {
    const [r] = await q.query<{ sku: string }>('SELECT sku FROM items WHERE sku = $1', [item.sku]);
    if (r) return r.sku;
  }
  return undefined;
}

/** the bin when it is a known location; else the zone location watching that IoT zone, or a location with the zone's id */
export async function resolveLocation(q: Queryable, zone: string, bin?: string): Promise<string | undefined> {
  if (bin) {
    const [r] = await q.query<{ id: string }>('SELECT id FROM locations WHERE id = $1', [bin]);
    if (r) return r.id;
  }
  const [z] = await q.query<{ id: string }>(
    `SELECT id FROM locations WHERE iot_zone = $1 OR id = $1 ORDER BY (iot_zone = $1) DESC NULLS LAST, (kind = 'zone') DESC, id LIMIT 1`, [zone]);
  return z?.id;
}
