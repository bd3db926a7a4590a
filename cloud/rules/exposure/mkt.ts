// Mean kinetic temperature (USP <1079.2>): the single constant temperature that would cause the
// same total degradation as the observed history, with Arrhenius kinetics:
//   Tk = (ΔH/R) / −ln( Σ wᵢ·e^(−ΔH/(R·Tᵢ)) / Σ wᵢ ),  Tᵢ in kelvin, wᵢ the time Tᵢ lasted.
// Equal weights give the textbook formula; time weights handle readings at uneven intervals.

/** gas constant in kJ/(mol·K) as USP uses it, so the default ΔH/R is exactly 10 000 K */
export const R_KJ = 0.0083144;
export const DEFAULT_DELTA_H_KJ = 83.144;
const KELVIN = 273.15;

/** Accumulates time-weighted Arrhenius terms; `value()` is the MKT in °C (null with no time). */
export class MktAccumulator {
  private sum = 0;
  private weight = 0;
  private readonly k: number;
  constructor(deltaHkJ = DEFAULT_DELTA_H_KJ) {
    this.k = deltaHkJ / R_KJ;
  }
  add(celsius: number, weight: number): void {
    if (!(weight > 0)) return;
    this.sum += weight * Math.exp(-this.k / (celsius + KELVIN));
    this.weight += weight;
  }
  value(): number | null {
    if (this.weight === 0 || this.sum === 0) return null;
    return this.k / -Math.log(this.sum / this.weight) - KELVIN;
  }
}

/** MKT of readings with equal (or given) weights, in °C */
export function meanKineticTemperature(celsius: readonly number[], opts: { deltaHkJ?: number; weights?: readonly number[] } = {}): number | null {
  const acc = new MktAccumulator(opts.deltaHkJ);
  celsius.forEach((c, i) => acc.add(c, opts.weights?.[i] ?? 1));
  return acc.value();
}
