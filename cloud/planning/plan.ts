import { inverseNormal } from './normal.ts';
import { dayOfWeekIndex, mean, sampleSd, type SeasonalIndex } from './stats.ts';
import { weekday } from './days.ts';

// The replenishment arithmetic for one item, pure (no database): from a daily demand series to
// safety stock, reorder point and the suggested order quantity.
//
//   d̄    = mean daily demand over the history window (days without demand count as 0)
//   σ    = sample standard deviation of the daily demand
//   z    = inverse standard normal of the service level (0.95 → 1.645)
//   SS   = z · σ · √L                      (never below the item's own safety_stock, a floor a buyer may set)
//   s    = mean day-of-week index over the L days of the coming lead time (today … today+L−1)
//   ROP  = d̄ · s · L + SS                  (d̄·s is the seasonally adjusted daily demand)
//   order when  available + on order < ROP,  up to  ROP + d̄ · coverDays,  rounded up to a whole unit

export interface PlanInput {
  series: readonly number[];
  /** epoch day of series[0] */
  firstDay: number;
  /** epoch day the run happens: the coming lead time starts here */
  today: number;
  leadTimeDays: number;
  serviceLevel: number;
  /** items.safety_stock: the configured minimum */
  safetyStockFloor: number;
  available: number;
  onOrder: number;
  /** days of average demand an order covers beyond the reorder point */
  coverDays: number;
}

export interface PlanFigures {
  dBar: number; sigma: number; z: number;
  seasonal: SeasonalIndex;
  /** the weekday indices of the lead-time days, and their mean (the index used) */
  leadTimeIndices: number[]; seasonalIndexUsed: number; dBarAdjusted: number;
  safetyStockFormula: number; safetyStock: number; reorderPoint: number;
  position: number; belowReorderPoint: boolean; orderUpTo: number; suggestedQty: number;
}

/** 6 decimals, like the quantities in the ledger */
export const r6 = (n: number): number => Math.round(n * 1e6) / 1e6;

export function computePlan(i: PlanInput): PlanFigures {
  const dBar = mean(i.series);
  const sigma = sampleSd(i.series);
  const z = inverseNormal(i.serviceLevel);
  const seasonal = dayOfWeekIndex(i.series, i.firstDay);
  const L = i.leadTimeDays;
  const leadTimeIndices = Array.from({ length: L }, (_, k) => seasonal.indices[weekday(i.today + k)]!);
  // a zero lead time has no days to adjust: the index is 1 (and d̄·s·L is 0 anyway)
  const seasonalIndexUsed = L > 0 ? mean(leadTimeIndices) : 1;
  const dBarAdjusted = dBar * seasonalIndexUsed;
  const safetyStockFormula = z * sigma * Math.sqrt(L);
  const safetyStock = Math.max(safetyStockFormula, i.safetyStockFloor);
  const reorderPoint = dBarAdjusted * L + safetyStock;
  const position = i.available + i.onOrder;
  const belowReorderPoint = r6(position) < r6(reorderPoint);
  const orderUpTo = reorderPoint + dBar * i.coverDays;
  const suggestedQty = belowReorderPoint ? Math.max(1, Math.ceil(r6(orderUpTo - position))) : 0;
  return {
    dBar: r6(dBar), sigma: r6(sigma), z: r6(z), seasonal: { ...seasonal, indices: seasonal.indices.map(r6) },
    leadTimeIndices: leadTimeIndices.map(r6), seasonalIndexUsed: r6(seasonalIndexUsed), dBarAdjusted: r6(dBarAdjusted),
    safetyStockFormula: r6(safetyStockFormula), safetyStock: r6(safetyStock), reorderPoint: r6(reorderPoint),
    position: r6(position), belowReorderPoint, orderUpTo: r6(orderUpTo), suggestedQty,
  };
}
