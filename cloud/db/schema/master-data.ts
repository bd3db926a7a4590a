import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, boolean, date, doublePrecision, integer, numeric, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// Master data: locations (site → zone → bin), items, suppliers with their prices, customers, and the
// storage profiles items name (0004, 0008, 0009, 0010, 0016).

export const locations = pgTable('locations', {
  id: text('id').primaryKey(),
  kind: text('kind', { enum: ['site', 'zone', 'bin'] }).notNull(),
  parent: text('parent').references((): AnyPgColumn => locations.id),
  name: text('name').notNull(),
  iotZone: text('iot_zone'),
  tempLow: doublePrecision('temp_low'),
  tempHigh: doublePrecision('temp_high'),
  createdAt: ts('created_at').notNull().defaultNow(),
  archivedAt: ts('archived_at'),
});

export const items = pgTable('items', {
  sku: text('sku').primaryKey(),
  gtin: text('gtin').unique(),
  name: text('name').notNull(),
  unit: text('unit').notNull(),
  pieceWeight: numeric('piece_weight', { precision: 20, scale: 6 }),
  shelfLifeDays: integer('shelf_life_days'),
  storageProfile: text('storage_profile'),
  safetyStock: numeric('safety_stock', { precision: 20, scale: 6 }).notNull().default('0'),
  leadTimeDays: integer('lead_time_days'),
  costMinor: bigint('cost_minor', { mode: 'number' }),
  currency: text('currency').notNull().default('EUR'),
  lotTracked: boolean('lot_tracked').notNull().default(false),
  allowNegative: boolean('allow_negative').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiryAlertDays: integer('expiry_alert_days'),
  preferredSupplier: text('preferred_supplier').references(() => suppliers.id),
  serviceLevel: numeric('service_level', { precision: 6, scale: 5 }),
  archivedAt: ts('archived_at'),
});

export const suppliers = pgTable('suppliers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  archivedAt: ts('archived_at'),
});

export const supplierPrices = pgTable('supplier_prices', {
  supplier: text('supplier').notNull().references(() => suppliers.id),
  item: text('item').notNull().references(() => items.sku),
  priceMinor: bigint('price_minor', { mode: 'number' }).notNull(),
  currency: text('currency').notNull().default('EUR'),
  validFrom: date('valid_from', { mode: 'string' }).notNull().default(sql`CURRENT_DATE`),
}, (t) => [
  primaryKey({ columns: [t.supplier, t.item, t.validFrom] }),
]);

export const customers = pgTable('customers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  archivedAt: ts('archived_at'),
});

export const storageProfiles = pgTable('storage_profiles', {
  name: text('name').primaryKey(),
  tempLow: doublePrecision('temp_low'),
  tempHigh: doublePrecision('temp_high'),
  alarmHigh: doublePrecision('alarm_high'),
  alarmLow: doublePrecision('alarm_low'),
  singleMinutes: doublePrecision('single_minutes'),
  cumulativeMinutes: doublePrecision('cumulative_minutes'),
  mktLimit: doublePrecision('mkt_limit'),
  deltaHKj: doublePrecision('delta_h_kj').notNull().default(83.144),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  defrostMinutes: doublePrecision('defrost_minutes'),
  defrostMaxTemp: doublePrecision('defrost_max_temp'),
});
