import { systemClock, type Clock } from './clock.ts';
import { createRng, type Rng } from './random.ts';

// The air temperature of one cold room, good enough to exercise alarm rules: a thermostat that
// holds a set point with slow drift, sensor noise, scheduled defrosts, warm air through an open
// door and, when the compressor dies, a first-order climb to ambient (Newton's law of cooling).
//
// Every effect is a first-order pull toward some temperature with a time constant, so within
// one integration step the exact exponential solution is used: stable for any step size, which
// lets a test jump the clock by hours in one call.

export interface DefrostSchedule {
  /** model seconds between the starts of two defrosts */
  everySec: number;
  durationSec: number;
  /** how far above the set point the air peaks (°C) */
  riseC: number;
  /** model seconds into the cycle at start, so zones do not all defrost at once */
  offsetSec?: number;
  /**
   * start: the cycle counts from the model's start (the default). clock: from the epoch on the
   * model's time scale, so defrosts fall at fixed times of day (at time scale 1, offsetSec 18000
   * and everySec 6 h: 01:00, 07:00, 13:00, 19:00 UTC) and a gateway's defrost schedule can match.
   */
  anchor?: 'start' | 'clock';
}

export interface ThermalZoneOptions {
  setPoint: number;
  /** the room around the cold room (°C) */
  ambient?: number;
  /** how fast a running compressor pulls the air back to the set point */
  coolingTauSec?: number;
  /** how fast warm air leaks in while the door is open */
  doorTauSec?: number;
  /** how fast the box warms through its insulation with the compressor dead */
  failureTauSec?: number;
  /** slow thermostat drift: stationary standard deviation (°C) and correlation time */
  driftSd?: number;
  driftTauSec?: number;
  /** per-reading sensor noise standard deviation (°C) */
  sensorNoiseSd?: number;
  defrost?: DefrostSchedule;
  /** model seconds per real second: >1 compresses defrost cycles and warm-ups for demos */
  timeScale?: number;
  clock?: Clock;
  rng?: Rng;
}

export interface ThermalState {
  /** true air temperature (°C), no sensor noise */
  air: number;
  compressorRunning: boolean;
  defrosting: boolean;
  doorOpen: boolean;
  compressorFailed: boolean;
}

const MIN_STEP_SEC = 10;
const MAX_STEPS_PER_ADVANCE = 20_000;

export class ThermalZone {
  readonly setPoint: number;
  readonly ambient: number;
  private readonly coolingTau: number;
  private readonly doorTau: number;
  private readonly failureTau: number;
  private readonly driftSd: number;
  private readonly driftTau: number;
  private readonly noiseSd: number;
  private readonly defrost: DefrostSchedule | undefined;
  private readonly timeScale: number;
  /** model seconds of the defrost cycle already elapsed at start (anchor: clock) */
  private readonly defrostOrigin: number;
  private readonly clock: Clock;
  private readonly rng: Rng;

  private air: number;
  private drift = 0;
  private modelSec = 0;
  private lastMs: number;
  private doorOpen = false;
  private compressorFailed = false;
  private readonly doorListeners = new Set<(open: boolean) => void>();

  constructor(o: ThermalZoneOptions) {
    this.setPoint = o.setPoint;
    this.ambient = o.ambient ?? 20;
    this.coolingTau = o.coolingTauSec ?? 600;
    this.doorTau = o.doorTauSec ?? 300;
    this.failureTau = o.failureTauSec ?? 7200;
    this.driftSd = o.driftSd ?? 0.15;
    this.driftTau = o.driftTauSec ?? 1800;
    this.noiseSd = o.sensorNoiseSd ?? 0.05;
    this.defrost = o.defrost;
    this.timeScale = o.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be > 0 (got ${o.timeScale})`);
    this.clock = o.clock ?? systemClock;
    this.rng = o.rng ?? createRng();
    this.air = this.setPoint;
    this.lastMs = this.clock.now();
    this.defrostOrigin = this.defrost?.anchor === 'clock' ? ((this.lastMs / 1000) * this.timeScale) % this.defrost.everySec : 0;
  }

  /** Integrates the physics up to clock.now(). Called by every reader and every fault change. */
  advance(): void {
    const now = this.clock.now();
    const elapsed = ((now - this.lastMs) / 1000) * this.timeScale;
    this.lastMs = now;
    if (!(elapsed > 0)) return; // a wall clock stepped backwards: just resync
    const step = Math.max(MIN_STEP_SEC, elapsed / MAX_STEPS_PER_ADVANCE);
    let left = elapsed;
    while (left > 0) {
      const dt = Math.min(step, left);
      this.step(dt);
      left -= dt;
    }
  }

  private isDefrosting(modelSec: number): boolean {
    const d = this.defrost;
    if (!d || this.compressorFailed) return false;
    const phase = (this.defrostOrigin + modelSec + (d.offsetSec ?? 0)) % d.everySec;
    return phase < d.durationSec;
  }

  private step(dt: number): void {
    // Each active effect pulls toward a temperature at rate 1/tau; together they pull toward
    // the rate-weighted mean at the summed rate.
    const pulls: Array<[target: number, tau: number]> = [];
    if (this.compressorFailed) {
      pulls.push([this.ambient, this.failureTau]);
    } else if (this.isDefrosting(this.modelSec)) {
      // the heater brings the coil up; a quarter of the defrost time gets ~98 % of the rise
      pulls.push([this.setPoint + this.defrost!.riseC, this.defrost!.durationSec / 4]);
    } else {
      pulls.push([this.setPoint + this.drift, this.coolingTau]);
    }
    if (this.doorOpen) pulls.push([this.ambient, this.doorTau]);

    const rate = pulls.reduce((s, [, tau]) => s + 1 / tau, 0);
    const target = pulls.reduce((s, [t, tau]) => s + t / tau, 0) / rate;
    this.air = target + (this.air - target) * Math.exp(-rate * dt);

    // Ornstein–Uhlenbeck drift of the thermostat: wanders, but always comes back
    const k = Math.exp(-dt / this.driftTau);
    this.drift = this.drift * k + this.driftSd * Math.sqrt(1 - k * k) * this.rng.gaussian();
    this.modelSec += dt;
  }

  /** What a sensor sees now: the air plus its own noise and calibration offset (°C). */
  measure(offsetC = 0): number {
    this.advance();
    return this.air + offsetC + this.noiseSd * this.rng.gaussian();
  }

  state(): ThermalState {
    this.advance();
    const defrosting = this.isDefrosting(this.modelSec);
    return {
      air: this.air,
      compressorRunning: !this.compressorFailed && !defrosting,
      defrosting,
      doorOpen: this.doorOpen,
      compressorFailed: this.compressorFailed,
    };
  }

  /** Model seconds since start (scaled time); battery drain uses it too. */
  elapsedModelSec(): number {
    this.advance();
    return this.modelSec;
  }

  setDoorOpen(open: boolean): void {
    this.advance(); // the change takes effect from now, not from the last reading
    if (open === this.doorOpen) return;
    this.doorOpen = open;
    for (const l of this.doorListeners) l(open);
  }

  /** A door contact reports on change, not on its next heartbeat; returns an unsubscribe. */
  onDoorChange(listener: (open: boolean) => void): () => void {
    this.doorListeners.add(listener);
    return () => this.doorListeners.delete(listener);
  }

  setCompressorFailed(failed: boolean): void {
    this.advance();
    this.compressorFailed = failed;
  }
}
