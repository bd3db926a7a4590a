import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

// What every benchmark prints and keeps: a markdown table (our figure beside the raw baseline
// measured in the same run, and the ratio) and a JSON file under bench/results/ that a later
// run can be compared with. The machine is shared, so the load average goes with each result.

export type Cell = string | number | null | undefined;

export function table(header: string[], rows: Cell[][], align?: ('l' | 'r')[]): string {
  const fmt = (c: Cell) => (c === null || c === undefined ? '—' : typeof c === 'number' ? formatNumber(c) : c);
  const sep = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [header, sep, ...rows.map((r) => r.map(fmt))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000 || Number.isInteger(n)) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(Math.abs(n) >= 1 ? 2 : 3);
}

export const ratio = (ours: number, baseline: number) => (baseline > 0 ? `${(ours / baseline).toFixed(2)}×` : '—');

export function machine(): { cpus: number; cpuModel: string; node: string; loadavg: number[] } {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', node: process.version, loadavg: os.loadavg().map((l) => Number(l.toFixed(2))) };
}

/** percentile of an ascending array (nearest rank) */
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

export function writeResult(name: string, data: Record<string, unknown>): string {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.json`, dir);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine: machine(), ...data }, null, 2) + '\n');
  return file.pathname;
}
