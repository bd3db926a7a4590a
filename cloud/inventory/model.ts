import { z } from 'zod';
import type { lots, movements } from '../db/schema.ts';
import { Finite, Id, Int32, IsoDate, Key, Line, LotCode, Measure, Name, Qty, RecentTime, Text, decimalText } from '../api/fields.ts';

// Input shapes of the inventory domain: the single source for API validation, the OpenAPI
// document and the domain functions' parameter types. Quantities are decimal numbers (weights
// are fractional) stored as numeric; money is integer minor units (cents), never a float.

// the shared field blocks (cloud/api/fields.ts), re-exported for the domain's own schemas
export { Id, IsoDate, Key, Line, LotCode, Measure, Name, Qty, Text };
/** money: integer minor units (cents) a bigint column holds and a double carries exactly */
export const Money = z.number().int('money is in integer minor units (cents)').nonnegative().max(Number.MAX_SAFE_INTEGER);
/** a currency code (ISO 4217) */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'three capital letters (ISO 4217)');

export const MOVEMENT_KINDS = ['receipt', 'shipment', 'transfer', 'consumption', 'adjustment', 'count_correction', 'scrap', 'return'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];
export const LOT_STATUSES = ['available', 'near_expiry', 'expired', 'quarantined', 'rejected'] as const;
export type LotStatus = (typeof LOT_STATUSES)[number];
// The API's lists and the tables' CHECK lists (declared as text enums in cloud/db/schema/) must
// agree: a kind or status added on one side only fails the typecheck here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _kindsAgree: Same<MovementKind, typeof movements.$inferSelect['kind']> = true;
const _statusesAgree: Same<LotStatus, typeof lots.$inferSelect['status']> = true;
void _kindsAgree; void _statusesAgree;

export const ItemInput = z.object({
  sku: Id,
  gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, 'GTIN-8/12/13/14 digits').optional(),
  name: Name(200),
  unit: Name(20),
  pieceWeight: Measure.refine((n) => n > 0, 'must be positive').optional(),
  shelfLifeDays: Int32.positive().max(36_500).optional(),
  /** days before expiry a lot turns near_expiry (the expiry sweep, cloud/rules/expiry/); default 3 */
  expiryAlertDays: z.number().int().nonnegative().max(3650).optional(),
  storageProfile: Line(50).optional(),
  safetyStock: Measure.refine((n) => n >= 0, 'must not be negative').default(0),
  leadTimeDays: Int32.nonnegative().max(3650).optional(),
  costMinor: Money.optional(),
  currency: Currency.default('EUR'),
  lotTracked: z.boolean().default(false),
  allowNegative: z.boolean().default(false),
  /** the supplier draft orders go to (also PUT /api/replenishment/items/:sku) */
  preferredSupplier: Id.optional(),
});
export type ItemInput = z.input<typeof ItemInput>;

export const LocationInput = z.object({
  id: Id,
  kind: z.enum(['site', 'zone', 'bin']),
  parent: Id.optional(),
  name: Name(200),
  iotZone: Id.optional().describe('the IoT zone (sensors, temperature profile) watching this location'),
  tempLow: Finite.optional(),
  tempHigh: Finite.optional(),
});
export type LocationInput = z.input<typeof LocationInput>;

export const PartnerInput = z.object({ id: Id, name: Name(200) });
export const SupplierPriceInput = z.object({ item: Id, priceMinor: Money, currency: Currency.default('EUR'), validFrom: IsoDate.optional() });

export const LotInput = z.object({
  item: Id,
  code: LotCode,
  producedOn: IsoDate.optional(),
  expiresOn: IsoDate.optional(),
  status: z.enum(['available', 'quarantined']).default('available'),
});
export type LotInput = z.input<typeof LotInput>;

export const LotStatusChange = z.object({
  status: z.enum(LOT_STATUSES),
  reason: Text(500).refine((s) => s.trim().length > 0, 'say why the status changes'),
});

export const MovementInput = z.object({
  kind: z.enum(MOVEMENT_KINDS),
  item: Id,
  lot: LotCode.optional().describe('lot code (required for lot-tracked items)'),
  from: Id.optional().describe('location the quantity leaves'),
  to: Id.optional().describe('location the quantity enters'),
  qty: Qty,
  sourceType: z.enum(['device', 'user', 'document']).default('user'),
  sourceRef: Line(200).optional(),
  idempotencyKey: Key.optional().describe('posting the same key again returns the first result'),
  reverses: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  note: Text(1000).optional(),
  at: RecentTime.optional().describe('when it happened: from 2000 to at most one day ahead of the server clock'),
  // issue #11 item 4 (reservations bind every movement, cloud/inventory/reservation-bind.ts)
  reservation: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('the open reservation this outgoing movement fulfils: it may take what that hold keeps, besides the unreserved stock'),
});
export type MovementInput = z.input<typeof MovementInput>;

export const ReservationInput = z.object({
  item: Id,
  qty: Qty,
  channel: Id.default('default'),
  ttl: z.number().int().min(1).max(7 * 86400).default(900).describe('seconds until an uncommitted hold returns to the pool (default 15 min)'),
  idempotencyKey: Key.optional(),
  ref: Line(200).optional(),
});
export type ReservationInput = z.input<typeof ReservationInput>;

export const ChannelPoolInput = z.object({ qty: Measure.refine((n) => n >= 0, 'must not be negative') });

/** who does something: the token's name and role (or a CLI / system actor) */
export interface Actor {
  name: string;
  role: string;
}
export const SYSTEM: Actor = { name: 'system', role: 'admin' };

/** numeric columns arrive as strings from both drivers; quantities are shown as numbers */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
/** a quantity as exact decimal text for a numeric parameter (no binary float noise) */
export const dec = decimalText;
