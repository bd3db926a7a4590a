import type { Reading } from '../../protocols/reading.ts';
import type { EdgeConfig } from '../config.schema.ts';

// The software glycol bottle: a probe in a bottle of glycol reads what the product goes
// through, not the air's every gust. Here each air probe of a zone with `product` configured
// feeds a first-order thermal mass of time constant τ:
//
//     T_p(t) = T_air + (T_p(t0) − T_air) · e^(−Δt/τ)      i.e.  T_p += (T_air − T_p)·(1 − e^(−Δt/τ))
//
// with T_air the air reading that held over (t0, t] (a reading holds until the next one), the
// exact solution for a held input: stable for any Δt, the same live and in replay. The product
// value is emitted as its own reading (sensor "<probe>-product", kind product_temperature), so
// the outbox carries it to the cloud and the zone's rules use it instead of the air.

export const PRODUCT_SUFFIX = '-product';

export const productSensorId = (airSensor: string): string => `${airSensor}${PRODUCT_SUFFIX}`;

/** One simulated product; plain state, no clock. */
export class ThermalMass {
  private readonly tauMs: number;
  private t: number | undefined;
  private air = 0;
  private value = 0;

  constructor(tauMin: number) {
    this.tauMs = tauMin * 60_000;
  }

  /** The product temperature at `ts` given the air reading `air` taken at `ts`. */
  update(ts: number, air: number): number {
    if (this.t === undefined) {
      this.value = air; // start at equilibrium: the product has been in the room a while
    } else if (ts > this.t) {
      this.value = this.air + (this.value - this.air) * Math.exp(-(ts - this.t) / this.tauMs);
    }
    if (this.t === undefined || ts >= this.t) {
      this.t = ts;
      this.air = air;
    }
    // an older reading (out of order) changes nothing: time never runs backwards here
    return this.value;
  }
}

/** The air sensors that feed a product simulation, and τ for each. */
export function productSources(config: Pick<EdgeConfig, 'zones' | 'devices'>): Map<string, { zone: string; tauMin: number }> {
  const tau = new Map(config.zones.filter((z) => z.product).map((z) => [z.id, z.product!.tauMin] as const));
  const out = new Map<string, { zone: string; tauMin: number }>();
  for (const d of config.devices) {
    for (const p of d.points) {
      const t = tau.get(p.zone);
      if (p.kind === 'temperature' && t !== undefined) out.set(p.sensor, { zone: p.zone, tauMin: t });
    }
  }
  return out;
}

/** Turns air readings into product readings for the probes of zones that simulate a product. */
export class ProductTemperatures {
  private readonly sources: Map<string, { zone: string; tauMin: number }>;
  private readonly masses = new Map<string, ThermalMass>();

  constructor(config: Pick<EdgeConfig, 'zones' | 'devices'>) {
    this.sources = productSources(config);
  }

  get enabled(): boolean {
    return this.sources.size > 0;
  }

  /** The product reading derived from `r`, or undefined when `r` feeds no product. */
  derive(r: Reading): Reading | undefined {
    if (r.kind !== 'temperature' || r.quality === 'bad') return undefined;
    const src = this.sources.get(r.sensor);
    if (!src) return undefined;
    let m = this.masses.get(r.sensor);
    if (!m) this.masses.set(r.sensor, (m = new ThermalMass(src.tauMin)));
    const value = Number(m.update(r.ts, r.value).toFixed(3));
    return { sensor: productSensorId(r.sensor), kind: 'product_temperature', ts: r.ts, value, quality: r.quality };
  }

  /** `readings` with each one's product reading right after it. */
  withProducts(readings: readonly Reading[]): Reading[] {
    if (!this.enabled) return readings as Reading[];
    const out: Reading[] = [];
    for (const r of readings) {
      out.push(r);
      const p = this.derive(r);
      if (p) out.push(p);
    }
    return out;
  }
}
