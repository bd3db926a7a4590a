import type { Clock } from '../clock.ts';
import type { Rng } from '../random.ts';

// The physics of a platform scale with goods being put on it, shared by the serial (MT-SICS /
// continuous) and Modbus simulators. Put a load on with `load()`: the reading swings around
// the new value (a sack dropped on a hanging or spring-mounted platform) for a few periods,
// decaying, then settles; a little noise and a slow zero drift are always there.
//
// Like a real indicator, the device's own "stable" flag is a motion check between successive
// readings — so it reports stable for an instant at each turning point of a swing. That is
// exactly the trap the edge's own stability window exists for.

export interface ScaleModelOptions {
  clock: Clock;
  rng: Rng;
  /** what is on the scale at start (kg, gross) */
  initialKg?: number;
  capacityKg?: number;
  /** display resolution (kg) */
  resolutionKg?: number;
  /** noise standard deviation (kg) */
  noiseKg?: number;
  /** zero drift (kg per hour) */
  driftKgPerHour?: number;
  /** the device flags motion when two readings differ by more than this (kg) */
  motionBandKg?: number;
}

export interface ScaleReading {
  kg: number;
  stable: boolean;
  overload: boolean;
  underload: boolean;
}

export class ScaleModel {
  private target: number;
  private swing = { from: 0, amplitude: 0, periodMs: 1000, count: 0 };
  private tareKg = 0;
  private zeroOffset = 0;
  private readonly startedAt: number;
  private prev: number | undefined;
  private forcedOverload = false;

  constructor(private readonly o: ScaleModelOptions) {
    this.target = o.initialKg ?? 0;
    this.startedAt = o.clock.now();
  }

  /** Puts goods on (+kg) or takes them off (−kg), swinging `swings` times before settling. */
  load(deltaKg: number, opts: { swings?: number; periodMs?: number; amplitudeKg?: number } = {}): void {
    this.target += deltaKg;
    const swings = opts.swings ?? 0;
    this.swing = { from: this.o.clock.now(), amplitude: opts.amplitudeKg ?? Math.abs(deltaKg) * 0.6, periodMs: opts.periodMs ?? 800, count: swings };
  }

  /** Sets the gross load outright (no swing). */
  set(kg: number): void {
    this.target = kg;
    this.swing.count = 0;
  }

  get grossTargetKg(): number {
    return this.target;
  }

  zero(): void {
    this.zeroOffset = this.trueGross(this.o.clock.now());
  }

  tare(): void {
    this.tareKg = this.trueGross(this.o.clock.now()) - this.zeroOffset;
  }

  clearTare(): void {
    this.tareKg = 0;
  }

  get tareValueKg(): number {
    return this.tareKg;
  }

  setOverload(on: boolean): void {
    this.forcedOverload = on;
  }

  private trueGross(now: number): number {
    const s = this.swing;
    const dt = now - s.from;
    let swing = 0;
    if (s.count > 0 && dt < s.count * s.periodMs) {
      const decay = 1 - dt / (s.count * s.periodMs);
      swing = s.amplitude * decay * Math.sin((2 * Math.PI * dt) / s.periodMs);
    }
    const drift = ((this.o.driftKgPerHour ?? 0) * (now - this.startedAt)) / 3_600_000;
    return this.target + swing + drift + this.o.rng.gaussian() * (this.o.noiseKg ?? 0.001);
  }

  /** One reading as the indicator displays it (gross, or net when `net` is asked for). */
  read(net = false): ScaleReading & { grossKg: number; tareKg: number; netKg: number } {
    const now = this.o.clock.now();
    const res = this.o.resolutionKg ?? 0.001;
    const gross = Math.round((this.trueGross(now) - this.zeroOffset) / res) * res;
    const overload = this.forcedOverload || gross > (this.o.capacityKg ?? 300);
    const underload = gross < -(this.o.capacityKg ?? 300) * 0.02;
    const stable = this.prev !== undefined && Math.abs(gross - this.prev) <= (this.o.motionBandKg ?? 0.01);
    this.prev = gross;
    const round = (x: number) => Math.round(x / res) * res;
    const netKg = round(gross - this.tareKg);
    return { kg: net ? netKg : round(gross), grossKg: round(gross), tareKg: round(this.tareKg), netKg, stable: stable && !overload, overload, underload };
  }
}
