import { z } from 'zod';

// Cloud → edge: the open documents a gateway's dock portals match passes against. Published by
// the cloud on `stockpulse/v1/gw/{gateway}/expected`, RETAINED (a gateway that connects — or
// reconnects after a broker restart the cloud noticed — gets the current list at once), again
// whenever a document changes and whenever the gateway (re)starts its stream. Each message is
// the whole list for that gateway, never a delta, so a lost message is healed by the next one.
//
// Document ids are the cloud's: `po:17` = purchase order 17 (expected receipt), `so:12` = sales
// order 12, picked (open shipment). A movement the edge matches carries that id back.

export const EXPECTED_DOCUMENTS_VERSION = 1;

export const ExpectedDocumentLine = z.object({
  /** GTIN-14: what an SGTIN EPC decodes to */
  gtin: z.string().regex(/^\d{14}$/, 'GTIN-14 (14 digits)'),
  sku: z.string().optional(),
  /** cases on the line (ordered / picked) */
  quantity: z.number().int().positive(),
  /** cases the ledger already has against this line (received / shipped) */
  received: z.number().int().nonnegative().default(0),
  lot: z.string().min(1).optional(),
});

export const ExpectedDocumentWire = z.object({
  id: z.string().min(1),
  type: z.enum(['receipt', 'shipment']),
  /** supplier / customer, for people reading the edge's status */
  partner: z.string().optional(),
  /** only this portal (default: any portal of the gateway) */
  portal: z.string().optional(),
  lines: z.array(ExpectedDocumentLine).min(1),
});
export type ExpectedDocumentWire = z.infer<typeof ExpectedDocumentWire>;

export const ExpectedDocumentsMessage = z.object({
  v: z.literal(EXPECTED_DOCUMENTS_VERSION),
  gateway: z.string().min(1),
  /** epoch ms the list was built */
  at: z.number().int().nonnegative(),
  documents: z.array(ExpectedDocumentWire),
});
export type ExpectedDocumentsMessage = z.infer<typeof ExpectedDocumentsMessage>;

export const expectedDocumentsTopic = (gateway: string): string => `stockpulse/v1/gw/${gateway}/expected`;
