import { z } from 'zod';

// The open documents a portal pass is matched against: expected receipts (PO / ASN lines) and
// open shipments, with the lot of each line. From the gateway's config, and from the cloud, which
// pushes its open documents down (protocols/uplink/expected-documents.ts, edge/rfid/expected-feed.ts).

export const ExpectedLine = z.object({
  gtin: z.string().regex(/^\d{14}$/, 'GTIN-14 (14 digits)'),
  /** cases expected on this line (RFID counts one per SGTIN) */
  quantity: z.number().int().positive(),
  lot: z.string().min(1).optional(),
  sku: z.string().optional(),
  /** cases the cloud's ledger already has against this line (pushed documents) */
  received: z.number().int().nonnegative().optional(),
}).strict();

export const ExpectedDocument = z.object({
  /** document id the movement refers to (PO-2024-0012, ASN…, SHP…) */
  id: z.string().min(1),
  /** receipt: goods expected in; shipment: goods allowed out */
  type: z.enum(['receipt', 'shipment']),
  /** only this portal (default: any portal of the gateway) */
  portal: z.string().optional(),
  lines: z.array(ExpectedLine).min(1),
}).strict();
export type ExpectedDocument = z.infer<typeof ExpectedDocument>;
export type ExpectedLine = z.infer<typeof ExpectedLine>;
