import { SpError } from '../errors.ts';
import { REGISTER_WIDTH, type RegisterPoint } from './register-map.schema.ts';

// Which read requests cover a device's points. Pure, so it is tested without sockets.
// Fewer requests = fewer round trips on slow RS-485 bridges and less load on the slave; a
// small gap of unused registers is read through rather than split into a second request.

/** Modbus allows at most 125 registers in one FC3/FC4 response (253-byte PDU). */
export const MAX_REGISTERS_PER_READ = 125;
/** and at most 2000 bits in one FC1/FC2 response */
export const MAX_BITS_PER_READ = 2000;

export interface ReadBlock<P extends { register: RegisterPoint }> {
  area: RegisterPoint['area'];
  /** first register address read */
  start: number;
  /** number of registers read */
  count: number;
  points: P[];
}

export interface PlanOptions {
  /** unused registers tolerated between two points of one request (default 4; 0 = contiguous only) */
  maxGap?: number;
  /** cap per request (default and maximum 125) */
  maxCount?: number;
}

export function registerSpan(r: RegisterPoint): { start: number; end: number } {
  return { start: r.address, end: r.address + REGISTER_WIDTH[r.type] }; // end exclusive
}

/**
 * Groups points into as few read requests as possible: per area (holding/input/coil/discrete), sorted by
 * address, merging a point into the current request when it starts within `maxGap` registers
 * of its end and the request stays within `maxCount`. Overlapping points share a request.
 */
export function planReads<P extends { register: RegisterPoint }>(points: readonly P[], opts: PlanOptions = {}): ReadBlock<P>[] {
  const maxGap = Math.max(0, opts.maxGap ?? 4);
  const maxCount = Math.min(MAX_REGISTERS_PER_READ, Math.max(1, opts.maxCount ?? MAX_REGISTERS_PER_READ));
  const blocks: ReadBlock<P>[] = [];
  for (const area of ['holding', 'input', 'coil', 'discrete'] as const) {
    const cap = area === 'coil' || area === 'discrete' ? Math.min(MAX_BITS_PER_READ, Math.max(1, opts.maxCount ?? MAX_BITS_PER_READ)) : maxCount;
    const sorted = points.filter((p) => p.register.area === area).sort((a, b) => a.register.address - b.register.address);
    let cur: ReadBlock<P> | undefined;
    for (const p of sorted) {
      const { start, end } = registerSpan(p.register);
      if (end > 65536) {
        throw new SpError('SP_ERR_MODBUS_MAP', { field: 'address', reason: `${p.register.type} at ${start} runs past register 65535` });
      }
      if (cur && start <= cur.start + cur.count + maxGap && Math.max(end, cur.start + cur.count) - cur.start <= cap) {
        cur.count = Math.max(end, cur.start + cur.count) - cur.start;
        cur.points.push(p);
      } else {
        cur = { area, start, count: end - start, points: [p] };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

/** The registers of one point out of its block's response. */
export function pointRegisters(block: { start: number }, data: readonly number[], r: RegisterPoint): number[] {
  const from = r.address - block.start;
  return data.slice(from, from + REGISTER_WIDTH[r.type]);
}
