import { z } from 'zod';

// What a scale weighs and how to tell a real change from noise. Shared by the gateway config
// (devices[] with protocol serial-scale / modbus-scale) and the tests.

export const ScaleTuning = z.object({
  /** ledger location of the bin on the scale */
  zone: z.string().min(1),
  bin: z.string().min(1).optional(),
  /** the item in the bin */
  item: z.object({ gtin: z.string().regex(/^\d{14}$/).optional(), sku: z.string().min(1).optional() }).strict()
    .refine((i) => i.gtin || i.sku, 'gtin or sku required'),
  lot: z.string().optional(),
  /** kg per piece: quantity = net ÷ piece weight; leave out to book kilograms (silos, bulk) */
  pieceWeightKg: z.number().positive().optional(),
  /** container weight subtracted from the gross when the scale itself is not tared (kg) */
  tareKg: z.number().min(0).default(0),
  /** our own stability check: this many consecutive samples… */
  stableSamples: z.number().int().min(2).default(5),
  /** …all within ± this of their mean (kg) */
  stableBandKg: z.number().positive().default(0.005),
  /** …spanning at least this long (ms): a swing passing through its turning point is not "stable" */
  stableMinMs: z.number().int().min(0).default(1000),
  /** a stable change smaller than this is noise / drift, not a movement (kg); default half a piece, or 0.1 kg in bulk mode */
  changeToleranceKg: z.number().positive().optional(),
  /**
   * report what the bin holds as a `count` event at the first stable level and then at most this
   * often (ms) while stable; the cloud compares it with the ledger (count drift). Off when left out:
   * every consumption / refill carries the weighed quantity anyway.
   */
  countEveryMs: z.number().int().min(1000).optional(),
}).strict();
export type ScaleTuning = z.infer<typeof ScaleTuning>;
export type ScaleTuningInput = z.input<typeof ScaleTuning>;
