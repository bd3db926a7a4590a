import type { Queryable } from '../../db/engine.ts';
import { getItem } from '../../inventory/master-data.ts';
import { isoDay, weekStart } from '../days.ts';
import { SALES_KINDS, loadDailyDemand } from '../demand.ts';
import { holtForecast } from './holt.ts';
import { rangeOut, type DayRange } from './range.ts';

// Sales trend of one item: shipped quantity (shipments, reversals taken back) per week
// (Monday–Sunday, UTC) over the period, and a forecast of the next weeks by Holt's linear
// method (holt.ts). A week the period cuts short is shown but marked partial and left out of
// the fit, so a half week does not read as a drop in sales.

export async function salesTrend(q: Queryable, r: DayRange, item: string, horizon: number) {
  const it = await getItem(q, item);
  const first = weekStart(r.fromDay);
  const daily = (await loadDailyDemand(q, { fromDay: first, toDay: r.toDay, kinds: SALES_KINDS, item })).get(item) ?? new Map<number, number>();
  const weeks: { weekStart: string; qty: number; partial: boolean }[] = [];
  for (let w = first; w < r.toDay; w += 7) {
    let qty = 0;
    for (let d = w; d < w + 7 && d < r.toDay; d++) qty += daily.get(d) ?? 0;
    weeks.push({ weekStart: isoDay(w), qty: Math.round(qty * 1e6) / 1e6, partial: w < r.fromDay || w + 7 > r.toDay });
  }
  const full = weeks.filter((w) => !w.partial);
  const fit = holtForecast(full.map((w) => w.qty), horizon);
  const lastFull = full.length ? Date.parse(`${full[full.length - 1]!.weekStart}T00:00:00Z`) / 86_400_000 : first - 7;
  return {
    ...rangeOut(r), item: it.sku, name: it.name, unit: it.unit, weeks,
    model: { method: fit.method, alpha: fit.alpha, beta: fit.beta, level: fit.level, trend: fit.trend, sse: fit.sse, fittedWeeks: full.length },
    forecast: fit.forecast.map((qty, k) => ({ weekStart: isoDay(lastFull + 7 * (k + 1)), qty })),
  };
}
