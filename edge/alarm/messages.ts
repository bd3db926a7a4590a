// Alert texts for a person on a phone: zone name first, then what, how far and how long.
// e.g. "Chiller: chiller-t1 at 9.4 °C ≥ 8 °C for 5 min".

/** 300000 → "5 min", 45000 → "45 s", 5400000 → "1 h 30 min", 90000000 → "25 h" */
export function formatDuration(ms: number): string {
  const sec = Math.round(ms / 1000);
  if (sec < 60) return `${sec} s`;
  const min = Math.round(sec / 60);
  if (min < 60) return sec % 60 === 0 || min >= 10 ? `${min} min` : `${Math.floor(sec / 60)} min ${sec % 60} s`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** °C with at most 2 decimals and no float noise (7.499999999 → "7.5") */
export function formatCelsius(v: number): string {
  return `${Number(v.toFixed(2))} °C`;
}

export function formatBand(low: number | undefined, high: number | undefined): string {
  if (low !== undefined && high !== undefined) return `${low}–${high} °C`;
  if (high !== undefined) return `< ${high} °C`;
  if (low !== undefined) return `> ${low} °C`;
  return 'any';
}
