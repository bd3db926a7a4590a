// CSV download of a panel's data: exactly what the panel fetched (same bucket, same window),
// one row per bucket time, times in ISO 8601 UTC so a spreadsheet anywhere reads them alike,
// the unit in every value column's header. Named after the zone and the range.
// The header stays in English in every language, like the ISO times: the file is read by
// spreadsheets and scripts ("time (UTC)", "<sensor> min"), and a column name that changed with the
// operator's language would break every import that names it. Sensor ids are ids, not words.

const cell = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '' : String(v));
const quote = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * @param {{sensor:string, points:{ts,avg,min,max}[]}[]} results one per series
 * @returns {string} header: time (UTC), then avg/min/max per series
 */
export function toCsv(results, unit) {
  const u = unit ? ` (${unit})` : '';
  const head = ['time (UTC)'];
  for (const r of results) head.push(`${r.sensor}${u}`, `${r.sensor} min${u}`, `${r.sensor} max${u}`);
  const byTs = new Map();
  results.forEach((r, i) => {
    for (const p of r.points ?? []) {
      let row = byTs.get(p.ts);
      if (!row) byTs.set(p.ts, (row = new Array(results.length * 3).fill(null)));
      row[3 * i] = p.avg;
      row[3 * i + 1] = p.min;
      row[3 * i + 2] = p.max;
    }
  });
  const lines = [head.map(quote).join(',')];
  for (const ts of [...byTs.keys()].sort((a, b) => a - b)) {
    lines.push([new Date(ts).toISOString(), ...byTs.get(ts).map(cell)].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** chiller_2026-12-06T00-10Z_2026-12-06T00-25Z.csv (no colons: Windows file names). */
export function csvName(zoneId, fromMs, toMs) {
  const t = (ms) => new Date(ms).toISOString().slice(0, 16).replace(':', '-') + 'Z';
  return `${zoneId.replace(/[^\w.-]+/g, '_')}_${t(fromMs)}_${t(toMs)}.csv`;
}

export function downloadCsv(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
