// Exact money arithmetic for the valuation: fixed point with 6 decimals held in a bigint (a
// "micro" of the unit). Quantities are numeric(20,6) in the ledger, prices integer minor units
// (cents), so qty × price is exact at this scale; only a division (an average, the share of the
// stock value an outgoing quantity takes) rounds, once, half away from zero. Binary floats never
// carry a sum: 0.1 + 0.2 would already be wrong in the third receipt.

export type Fixed = bigint;
export const SCALE = 1_000_000n;
export const ZERO: Fixed = 0n;

/** "12.5", "-3", 7, "0.000001" → fixed; more than 6 decimals round half away from zero */
export function fixed(v: string | number | bigint | null | undefined): Fixed {
  if (v === null || v === undefined || v === '') return 0n;
  if (typeof v === 'bigint') return v * SCALE;
  let s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(9)) : v.trim();
  const neg = s.startsWith('-');
  if (neg || s.startsWith('+')) s = s.slice(1);
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) throw new RangeError(`not a decimal: ${String(v)}`);
  const frac = (m[2] ?? '').padEnd(7, '0');
  let units = BigInt(m[1] || '0') * SCALE + BigInt(frac.slice(0, 6));
  if (Number(frac[6]) >= 5) units += 1n;
  return neg ? -units : units;
}

/** a / b rounded half away from zero (b ≠ 0) */
export function divRound(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  const neg = (a < 0n) !== (b < 0n);
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  const q = (x * 2n + y) / (y * 2n);
  return neg ? -q : q;
}

/** x × y of two fixed values, rounded to 6 decimals (exact when one of them is whole) */
export const mul = (x: Fixed, y: Fixed): Fixed => divRound(x * y, SCALE);
/** x ÷ y of two fixed values, rounded to 6 decimals */
export const div = (x: Fixed, y: Fixed): Fixed => divRound(x * SCALE, y);

/** exact decimal text without trailing zeros: "120", "33.333333", "-0.5" */
export function text(v: Fixed): string {
  const neg = v < 0n;
  const x = neg ? -v : v;
  const whole = x / SCALE;
  const frac = (x % SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** for quantities the API shows as numbers (as the stock API does) */
export const toNumber = (v: Fixed): number => Number(text(v));

export const sum = (xs: Iterable<Fixed>): Fixed => { let s = 0n; for (const x of xs) s += x; return s; };

/** exact minor-unit text ("1840", "97.5", "-3") → major units with at least 2 decimals ("18.40", "0.975", "-0.03"), for files people read */
export function majorText(minor: string): string {
  const f = fixed(minor); // minor units × 10^6
  const neg = f < 0n;
  const x = neg ? -f : f;
  const per = SCALE * 100n;
  const frac = (x % per).toString().padStart(8, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${neg ? '-' : ''}${x / per}.${frac}`;
}
