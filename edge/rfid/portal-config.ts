import { z } from 'zod';

// How one dock portal is wired and tuned. Used by the gateway config (devices[] with protocol
// rfid-portal) and by tests directly.

const AntennaList = z.array(z.number().int().min(0)).min(1);

export const PortalReaderConfig = z.object({
  /** the device id the reader's tag reads carry (TagRead.reader) */
  device: z.string().min(1),
  /** antenna ports facing outside the building (the dock apron / truck side) */
  outside: AntennaList,
  /** antenna ports facing inside (the warehouse side) */
  inside: AntennaList,
}).strict();

export const PortalTuning = z.object({
  /** how direction is decided: which side saw the tag first, or which side's RSSI peaked first */
  direction: z.enum(['antenna-order', 'rssi-peak']).default('rssi-peak'),
  /** a pass ends after this long without a new tag read (ms) */
  passGapMs: z.number().int().min(50).default(2000),
  /** after a pass, the same EPC at the same reader is ignored for this long (ms): a pallet parked in the door is not counted twice */
  dedupeWindowMs: z.number().int().min(0).default(30_000),
  /** a tag read fewer times than this in a pass is a stray (reflection, passer-by) */
  minReads: z.number().int().min(1).default(2),
  /** reads weaker than this (dBm) are ignored: the neighbouring door's pallets */
  minRssi: z.number().default(-75),
  /** a tag seen continuously for longer than this is lying in the field, not passing (ms) */
  maxDwellMs: z.number().int().min(1000).default(60_000),
}).strict();
export type PortalTuning = z.infer<typeof PortalTuning>;

export const PortalConfig = z.object({
  id: z.string().min(1),
  /** ledger location the goods cross into / out of */
  zone: z.string().min(1),
  bin: z.string().optional(),
  readers: z.array(PortalReaderConfig).min(1),
  ...PortalTuning.shape,
}).strict();
export type PortalConfig = z.infer<typeof PortalConfig>;
export type PortalConfigInput = z.input<typeof PortalConfig>;
