import type { WeightSample } from '../../protocols/scale/weight-sample.ts';
import type { MovementEvent } from '../../protocols/uplink/contract.ts';
import type { ScaleTuning } from './scale-config.ts';

// Weight samples → consumption / refill movements, for one scale. Pure (time from the samples).
//
// A scale is noisy and goods are put on it with a swing. The rules:
// - a sample counts as stable only if the device says so AND the last `stableSamples` samples
//   lie within ±stableBandKg of their mean AND span at least stableMinMs — a pendulum passes
//   through its turning points slowly enough to fool the device's own motion filter once or
//   twice, but not for a whole window;
// - the first stable level is the baseline (no movement: we did not see it change);
// - a later stable level that differs from the last *booked* level by at least the change
//   tolerance (half a piece by default) becomes ONE movement, and that level is the new booked
//   level. Levels in between that were never stable book nothing; a wobble inside the
//   tolerance books nothing and leaves the booked level where it was, so a swinging load can
//   never produce +1 −1 +1… movements (that is the hysteresis);
// - in piece mode the quantity is round(Δnet ÷ piece weight); the booked level moves by exactly
//   that many pieces so rounding never accumulates;
// - overload / underload / no weight reset the window (nothing stable until it is back).

export interface WeighState {
  /** the level the ledger was last told about (net kg), undefined until the first stable sample */
  bookedNetKg?: number;
  /** the last stable net weight seen */
  stableNetKg?: number;
  lastSample?: WeightSample;
  stable: boolean;
}

export class WeighTracker {
  private window: { ts: number; kg: number }[] = [];
  private booked: number | undefined;
  private lastStable: number | undefined;
  private last: WeightSample | undefined;
  private stableNow = false;
  private lastCountAt: number | undefined;

  /** `bookedNetKg`: the level booked before a restart (kept in the edge store with its last movement) */
  constructor(private readonly device: string, private readonly cfg: ScaleTuning, bookedNetKg?: number) {
    this.booked = bookedNetKg;
  }

  private tolerance(): number {
    return this.cfg.changeToleranceKg ?? (this.cfg.pieceWeightKg ? this.cfg.pieceWeightKg / 2 : 0.1);
  }

  /** net kg of a sample: the device's net when it is in net mode, else gross − configured tare */
  private net(s: WeightSample): number | undefined {
    if (s.kg === undefined) return undefined;
    if (s.mode === 'net') return s.kg;
    return s.kg - this.cfg.tareKg;
  }

  state(): WeighState {
    return { bookedNetKg: this.booked, stableNetKg: this.lastStable, lastSample: this.last, stable: this.stableNow };
  }

  /** quantity on the scale right now by the booked level (pieces or kg), for the drift check */
  bookedQuantity(): number | undefined {
    if (this.booked === undefined) return undefined;
    return this.cfg.pieceWeightKg ? Math.round(this.booked / this.cfg.pieceWeightKg) : this.booked;
  }

  ingest(s: WeightSample): MovementEvent[] {
    this.last = s;
    const net = this.net(s);
    if (net === undefined || s.overload || s.underload) {
      this.window = [];
      this.stableNow = false;
      return [];
    }
    this.window.push({ ts: s.ts, kg: net });
    // keep at least stableSamples samples and at least stableMinMs of them, no more
    const w = this.window;
    while (w.length > this.cfg.stableSamples && w[w.length - 1]!.ts - w[1]!.ts >= this.cfg.stableMinMs) w.shift();
    const mean = w.reduce((a, x) => a + x.kg, 0) / w.length;
    this.stableNow = s.stable
      && w.length >= this.cfg.stableSamples
      && w.every((x) => Math.abs(x.kg - mean) <= this.cfg.stableBandKg)
      && w[w.length - 1]!.ts - w[0]!.ts >= this.cfg.stableMinMs;
    if (!this.stableNow) return [];
    const level = Math.round(mean * 1e6) / 1e6;
    this.lastStable = level;
    if (this.booked === undefined) {
      this.booked = level;
      return this.count(s, level);
    }
    const delta = level - this.booked;
    if (Math.abs(delta) < this.tolerance()) return this.count(s, level);
    const pw = this.cfg.pieceWeightKg;
    const quantity = pw ? Math.round(Math.abs(delta) / pw) : Math.round(Math.abs(delta) * 1000) / 1000;
    if (quantity === 0) return [];
    const previous = this.booked;
    // piece mode: move the booked level by whole pieces, so 0.4-piece errors never add up
    this.booked = pw ? previous + Math.sign(delta) * quantity * pw : level;
    const movement: MovementEvent = {
      id: `${this.device}:${s.ts}`, // one movement per settled sample: stable across a replay
      type: delta < 0 ? 'consumption' : 'refill',
      ts: s.ts,
      item: { ...this.cfg.item },
      quantity,
      unit: pw ? 'pcs' : 'kg',
      location: { zone: this.cfg.zone, ...(this.cfg.bin ? { bin: this.cfg.bin } : {}) },
      ...(this.cfg.lot ? { lot: this.cfg.lot } : {}),
      source: { device: this.device, kind: 'scale' },
      evidence: {
        grossKg: s.grossKg ?? (s.mode === 'gross' ? s.kg : undefined),
        tareKg: s.tareKg ?? this.cfg.tareKg,
        netKg: level,
        previousNetKg: previous,
        bookedNetKg: this.booked,
        deltaKg: Math.round(delta * 1e6) / 1e6,
        ...(pw ? { pieceWeightKg: pw } : {}),
        ...this.weighed(),
        samples: w.length,
        windowMs: w[w.length - 1]!.ts - w[0]!.ts,
        raw: s.raw,
      },
    };
    this.lastCountAt = s.ts;
    return [movement];
  }

  /** what the bin holds by the booked level, and the tolerance, in the movement's unit (the cloud's drift check) */
  private weighed(): { weighedQuantity: number; toleranceQuantity: number } {
    const pw = this.cfg.pieceWeightKg;
    const tol = this.tolerance();
    return { weighedQuantity: Math.max(0, this.bookedQuantity() ?? 0), toleranceQuantity: pw ? Math.max(1, Math.round(tol / pw)) : Math.round(tol * 1000) / 1000 };
  }

  /** a `count` observation of the bin (countEveryMs set): at the baseline, then at most every countEveryMs */
  private count(s: WeightSample, level: number): MovementEvent[] {
    const every = this.cfg.countEveryMs;
    if (every === undefined || (this.lastCountAt !== undefined && s.ts - this.lastCountAt < every)) return [];
    const w = this.weighed();
    // the contract's quantity is positive: an empty bin is reported by its next movement instead
    if (w.weighedQuantity <= 0) return [];
    this.lastCountAt = s.ts;
    return [{
      id: `${this.device}:count:${s.ts}`, type: 'count', ts: s.ts, item: { ...this.cfg.item }, quantity: w.weighedQuantity,
      unit: this.cfg.pieceWeightKg ? 'pcs' : 'kg', location: { zone: this.cfg.zone, ...(this.cfg.bin ? { bin: this.cfg.bin } : {}) },
      ...(this.cfg.lot ? { lot: this.cfg.lot } : {}), source: { device: this.device, kind: 'scale' },
      evidence: { netKg: level, ...(this.cfg.pieceWeightKg ? { pieceWeightKg: this.cfg.pieceWeightKg } : {}), ...w },
    }];
  }
}
