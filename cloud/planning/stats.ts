import { weekday } from './days.ts';

// The small statistics replenishment and analytics share: mean, sample standard deviation and
// a day-of-week seasonal index by ratio to a centred moving average.

export const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);
export const mean = (xs: readonly number[]): number => (xs.length ? sum(xs) / xs.length : 0);

/** sample standard deviation (n − 1): the series is a sample of the demand process */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export interface SeasonalIndex {
  /** Monday … Sunday, averaging exactly 1 */
  indices: number[];
  method: 'ratio-to-centred-moving-average' | 'flat';
  /** why the index is flat (all 1), when it is */
  note?: string;
}

/**
 * Day-of-week seasonal index. Why weekly and not month-of-year: six months of history hold
 * 26 weeks (26 observations of every weekday) but not a single repeat of any month, so a
 * month-of-year index could not be estimated from it.
 *
 * Ratio to centred moving average (classical multiplicative decomposition): with a period of 7
 * (odd) the centred moving average at day t is the plain mean of days t−3 … t+3; each day with
 * a full window and a positive average gives the ratio y_t / CMA_t; a weekday's raw index is
 * the mean of its ratios; the seven raw indices are scaled so they average 1.
 */
export function dayOfWeekIndex(series: readonly number[], firstDay: number): SeasonalIndex {
  const flat = (note: string): SeasonalIndex => ({ indices: [1, 1, 1, 1, 1, 1, 1], method: 'flat', note });
  if (series.length < 21) return flat(`${series.length} days of history; at least 21 (three weeks) are needed`);
  const ratios: number[][] = [[], [], [], [], [], [], []];
  for (let t = 3; t + 3 < series.length; t++) {
    const cma = sum(series.slice(t - 3, t + 4)) / 7;
    if (cma > 0) ratios[weekday(firstDay + t)]!.push(series[t]! / cma);
  }
  if (ratios.some((r) => !r.length)) return flat('not every weekday has a day with demand around it');
  const raw = ratios.map(mean);
  const scale = 7 / sum(raw);
  return { indices: raw.map((r) => r * scale), method: 'ratio-to-centred-moving-average' };
}
