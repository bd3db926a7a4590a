import { z } from 'zod';

// The one canonical event shape for a device fact (Signal K deltas style): who measured it,
// what, when, and how much to trust it. Decoders produce it, the edge pipelines consume it,
// the uplink carries it, the cloud stores it.

// defrost: 1/0 from a controller's defrost output (coil, register or JSON field).
// product_temperature: the edge's simulated product temperature (a first-order thermal mass fed
// by an air probe, edge/alarm/product-temperature.ts), kept apart from air so a chart or the
// exposure record never mistakes one for the other.
export const READING_KINDS = ['temperature', 'humidity', 'door', 'battery', 'signal', 'weight', 'setpoint', 'compressor', 'defrost', 'product_temperature'] as const;
/**
 * The last millisecond of year 9999: PostgreSQL's timestamptz input (what COPY writes) takes no
 * later year, so a device reporting microseconds is refused at parse time — dead-lettered with
 * its reason — instead of failing its batch's commit over and over.
 */
export const MAX_TS = 253_402_300_799_999;

export const ReadingKind = z.enum(READING_KINDS);
export type ReadingKind = z.infer<typeof ReadingKind>;

/** good: a normal measurement; uncertain: device flagged it (e.g. unstable, low battery); bad: known wrong. */
export const Quality = z.enum(['good', 'uncertain', 'bad']);
export type Quality = z.infer<typeof Quality>;

export const Reading = z.object({
  /** sensor id from the gateway config (unique per gateway) */
  sensor: z.string().min(1),
  kind: ReadingKind,
  /** epoch milliseconds of the measurement (device time when it sends one, else receive time) */
  ts: z.number().int().nonnegative().max(MAX_TS, 'epoch milliseconds up to 9999-12-31 (a microsecond or nanosecond clock?)'),
  /** numeric value: °C for temperature, 1/0 for door open/closed and defrost on/off, % for battery, dBm for signal, kg for weight */
  value: z.number().finite(),
  quality: Quality.default('good'),
});
export type Reading = z.infer<typeof Reading>;
