import { z } from 'zod';

// Byte sizes in config files: a plain number of bytes, or "256 MiB" / "1.5GB" / "512k" so an
// installer does not have to multiply by hand.

const UNITS: Record<string, number> = {
  b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

/** "256 MiB" → 268435456; undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

export const ByteSize = z.union([
  z.number().int().positive(),
  z.string().transform((s, ctx) => {
    const n = parseByteSize(s);
    if (n === undefined || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a size (a number of bytes, or e.g. "256 MiB", "2 GiB", "500 MB")` });
      return z.NEVER;
    }
    return n;
  }),
]);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
