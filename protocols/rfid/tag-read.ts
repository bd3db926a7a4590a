import { z } from 'zod';

// One report of one tag by one reader antenna, whatever the reader's dialect. The portal logic
// (edge/rfid) only ever sees this shape.

export const TagRead = z.object({
  /** the reader's id: the gateway's device id (a reader's own hostname is kept in `host`) */
  reader: z.string().min(1),
  /** upper-case EPC hex */
  epc: z.string().regex(/^[0-9A-F]+$/),
  /** 1-based antenna port */
  antenna: z.number().int().min(0),
  /** peak RSSI in dBm (Impinj reports centi-dBm; converted) */
  rssi: z.number().finite().optional(),
  /** epoch ms the reader last saw the tag in this report */
  ts: z.number().int().nonnegative(),
  /** reads folded into this report by the reader (Zebra `reads`, Impinj aggregated reports) */
  count: z.number().int().positive().default(1),
  /** the reader's own name for itself (Impinj hostname), when it sends one */
  host: z.string().optional(),
});
export type TagRead = z.infer<typeof TagRead>;

export const READER_FORMATS = ['impinj', 'zebra', 'generic'] as const;
export type ReaderFormat = (typeof READER_FORMATS)[number];
