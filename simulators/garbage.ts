import type { Rng } from './random.ts';

// Malformed frames a flaky sensor or a bad firmware update really sends. The edge decoders must
// reject each one with a coded error and keep going; these frames are how we prove it.

export const GARBAGE_KINDS = ['truncated', 'wrong_types', 'random_bytes', 'missing_field', 'not_an_object'] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

/** One malformed version of the good JSON frame `good` (a JSON object string). */
export function garbageFrame(kind: GarbageKind, good: string, rng: Rng): Buffer {
  switch (kind) {
    case 'truncated':
      // a frame cut mid-way, as when a radio link drops bytes
      return Buffer.from(good.slice(0, 1 + rng.int(Math.max(1, good.length - 2))));
    case 'wrong_types': {
      const obj = JSON.parse(good) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'number' ? String(v) + 'C' : 42;
      return Buffer.from(JSON.stringify(out));
    }
    case 'random_bytes': {
      const b = Buffer.alloc(4 + rng.int(28));
      for (let i = 0; i < b.length; i++) b[i] = rng.int(256);
      return b;
    }
    case 'missing_field': {
      const obj = JSON.parse(good) as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => k !== 'ts');
      if (keys.length) delete obj[keys[rng.int(keys.length)]!];
      return Buffer.from(JSON.stringify(obj));
    }
    case 'not_an_object':
      return Buffer.from(JSON.stringify([good.length, null, 'ERR']));
  }
}

/**
 * Decides frame by frame while the garbage fault is on: every other frame is malformed (a
 * different kind each time), the rest are good, so a decoder sees both interleaved.
 */
export class GarbageSource {
  private count = 0;
  constructor(private readonly rng: Rng) {}

  /** Returns the frame to send in place of `good`. */
  next(good: string): Buffer {
    this.count++;
    if (this.count % 2 === 0) return Buffer.from(good);
    const kind = GARBAGE_KINDS[this.rng.int(GARBAGE_KINDS.length)]!;
    return garbageFrame(kind, good, this.rng);
  }
}
