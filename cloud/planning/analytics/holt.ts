// Holt's linear trend method (double exponential smoothing) for the weekly sales forecast.
// Why Holt and not seasonal naive: the series is weekly totals (the weekday pattern is summed
// away), 26 weeks hold no yearly season to repeat, and a level + trend follows a growing or
// shrinking product where "same as last week" would not.
//
//   level_0 = y_0, trend_0 = y_1 − y_0
//   level_t = α·y_t + (1 − α)·(level_{t−1} + trend_{t−1})
//   trend_t = β·(level_t − level_{t−1}) + (1 − β)·trend_{t−1}
//   forecast_{n+k} = level_n + k·trend_n   (never below 0: demand is not negative)
// α and β are chosen on a 0.1 … 0.9 grid by the smallest sum of squared one-step-ahead errors
// (ties: the smallest α, then β). Fewer than 3 points: the last value repeats (naive).

export interface HoltFit { method: 'holt-linear' | 'naive'; alpha: number | null; beta: number | null; level: number; trend: number; sse: number | null; forecast: number[] }

function run(y: readonly number[], alpha: number, beta: number) {
  let level = y[0]!;
  let trend = y[1]! - y[0]!;
  let sse = 0;
  for (let t = 1; t < y.length; t++) {
    const predicted = level + trend;
    sse += (y[t]! - predicted) ** 2;
    const prev = level;
    level = alpha * y[t]! + (1 - alpha) * (level + trend);
    trend = beta * (level - prev) + (1 - beta) * trend;
  }
  return { level, trend, sse };
}

export function holtForecast(y: readonly number[], horizon: number): HoltFit {
  if (y.length < 3) {
    const last = y.length ? y[y.length - 1]! : 0;
    return { method: 'naive', alpha: null, beta: null, level: last, trend: 0, sse: null, forecast: Array.from({ length: horizon }, () => last) };
  }
  let best: { alpha: number; beta: number; level: number; trend: number; sse: number } | undefined;
  for (let a = 1; a <= 9; a++) {
    for (let b = 1; b <= 9; b++) {
      const fit = { alpha: a / 10, beta: b / 10, ...run(y, a / 10, b / 10) };
      if (!best || fit.sse < best.sse - 1e-9) best = fit;
    }
  }
  const b = best!;
  const r = (n: number) => Math.round(n * 1e4) / 1e4;
  return {
    method: 'holt-linear', alpha: b.alpha, beta: b.beta, level: r(b.level), trend: r(b.trend), sse: r(b.sse),
    forecast: Array.from({ length: horizon }, (_, k) => r(Math.max(0, b.level + (k + 1) * b.trend))),
  };
}
