import { z } from 'zod';

// Input shapes of the inventory domain: the single source for API validation, the OpenAPI
// document and the domain functions' parameter types. Quantities are decimal numbers (weights
// are fractional) stored as numeric; money is integer minor units (cents), never a float.

export const Id = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9._:\-/]+$/, 'letters, digits and . _ : - / only');
export const Qty = z.number().positive().max(1e12).refine((n) => Number.isFinite(n) && Math.abs(n * 1e6 - Math.round(n * 1e6)) < 1e-3, 'at most 6 decimals');
export const Money = z.number().int('money is in integer minor units (cents)').nonnegative();
export const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

export const MOVEMENT_KINDS = ['receipt', 'shipment', 'transfer', 'consumption', 'adjustment', 'count_correction', 'scrap', 'return'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];
export const LOT_STATUSES = ['available', 'near_expiry', 'expired', 'quarantined', 'rejected'] as const;
export type LotStatus = (typeof LOT_STATUSES)[number];

export const ItemInput = z.object({
  sku: Id,
  gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, 'GTIN-8/12/13/14 digits').optional(),
  name: z.string().trim().min(1).max(200),
  unit: z.string().trim().min(1).max(20),
  pieceWeight: z.number().positive().optional(),
  shelfLifeDays: z.number().int().positive().optional(),
  /** days before expiry a lot turns near_expiry (the expiry sweep, cloud/rules/expiry/); default 3 */
  expiryAlertDays: z.number().int().nonnegative().max(3650).optional(),
  storageProfile: z.string().max(50).optional(),
  safetyStock: z.number().nonnegative().default(0),
  leadTimeDays: z.number().int().nonnegative().optional(),
  costMinor: Money.optional(),
  currency: z.string().length(3).default('EUR'),
  lotTracked: z.boolean().default(false),
  allowNegative: z.boolean().default(false),
});
export type ItemInput = z.input<typeof ItemInput>;

export const LocationInput = z.object({
  id: Id,
  kind: z.enum(['site', 'zone', 'bin']),
  parent: Id.optional(),
  name: z.string().trim().min(1).max(200),
  iotZone: z.string().optional().describe('the IoT zone (sensors, temperature profile) watching this location'),
  tempLow: z.number().optional(),
  tempHigh: z.number().optional(),
});
export type LocationInput = z.input<typeof LocationInput>;

export const PartnerInput = z.object({ id: Id, name: z.string().trim().min(1).max(200) });
export const SupplierPriceInput = z.object({ item: Id, priceMinor: Money, currency: z.string().length(3).default('EUR'), validFrom: IsoDate.optional() });

export const LotInput = z.object({
  item: Id,
  code: Id,
  producedOn: IsoDate.optional(),
  expiresOn: IsoDate.optional(),
  status: z.enum(['available', 'quarantined']).default('available'),
});
export type LotInput = z.input<typeof LotInput>;

export const LotStatusChange = z.object({
  status: z.enum(LOT_STATUSES),
  reason: z.string().trim().min(1, 'say why the status changes').max(500),
});

export const MovementInput = z.object({
  kind: z.enum(MOVEMENT_KINDS),
  item: Id,
  lot: Id.optional().describe('lot code (required for lot-tracked items)'),
  from: Id.optional().describe('location the quantity leaves'),
  to: Id.optional().describe('location the quantity enters'),
  qty: Qty,
  sourceType: z.enum(['device', 'user', 'document']).default('user'),
  sourceRef: z.string().max(200).optional(),
  idempotencyKey: z.string().min(1).max(200).optional().describe('posting the same key again returns the first result'),
  reverses: z.number().int().positive().optional(),
  note: z.string().max(1000).optional(),
  at: z.string().datetime({ offset: true }).optional(),
  // issue #11 item 4 (reservations bind every movement, cloud/inventory/reservation-bind.ts)
  reservation: z.number().int().positive().optional().describe('the open reservation this outgoing movement fulfils: it may take what that hold keeps, besides the unreserved stock'),
});
export type MovementInput = z.input<typeof MovementInput>;

export const ReservationInput = z.object({
  item: Id,
  qty: Qty,
  channel: z.string().trim().min(1).max(50).default('default'),
  ttl: z.number().int().min(1).max(7 * 86400).default(900).describe('seconds until an uncommitted hold returns to the pool (default 15 min)'),
  idempotencyKey: z.string().min(1).max(200).optional(),
  ref: z.string().max(200).optional(),
});
export type ReservationInput = z.input<typeof ReservationInput>;

export const ChannelPoolInput = z.object({ qty: z.number().nonnegative() });

/** who does something: the token's name and role (or a CLI / system actor) */
export interface Actor {
  name: string;
  role: string;
}
export const SYSTEM: Actor = { name: 'system', role: 'admin' };

/** numeric columns arrive as strings from both drivers; quantities are shown as numbers */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
/** a quantity as exact decimal text for a numeric parameter (no binary float noise) */
export const dec = (n: number): string => String(Math.round(n * 1e6) / 1e6);
