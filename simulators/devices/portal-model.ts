import type { Rng } from '../random.ts';

// The radio side of a dock portal, as plain data: which antenna hears which tag when, and how
// loud. A pallet crossing moves its tags from the outside antenna's field to the inside one's
// (or back); each antenna's RSSI peaks when the pallet is nearest it, so the two peaks come in
// crossing order — which is what the edge uses to tell in from out. Pure, seeded: a test and
// the live simulator produce the same reads for the same seed.

export interface ModelRead {
  epc: string;
  antenna: number;
  /** dBm */
  rssi: number;
  /** ms from the start of the movement */
  at: number;
}

export interface CrossingOptions {
  epcs: readonly string[];
  direction: 'in' | 'out';
  /** time to cross the door (ms) */
  durationMs?: number;
  outsideAntenna?: number;
  insideAntenna?: number;
  /** reads per tag per antenna per second while in the field (a busy reader manages 10–50) */
  readsPerSec?: number;
  /** dBm at the antenna's closest point */
  peakRssi?: number;
  rng: Rng;
}

/** antenna sensitivity: quieter than this is not heard */
const SENSITIVITY_DBM = -80;

/** RSSI (dBm) of a tag at position x (−1 outside … +1 inside) heard by an antenna at position a */
function rssiAt(x: number, a: number, peak: number, rng: Rng): number {
  return peak - 28 * Math.abs(x - a) + rng.gaussian() * 1.5;
}

export function crossingReads(o: CrossingOptions): ModelRead[] {
  const duration = o.durationMs ?? 3000;
  const rate = o.readsPerSec ?? 12;
  const peak = o.peakRssi ?? -45;
  const antennas = [
    { port: o.outsideAntenna ?? 1, pos: -0.5 },
    { port: o.insideAntenna ?? 2, pos: 0.5 },
  ];
  const out: ModelRead[] = [];
  const step = 1000 / rate;
  for (const epc of o.epcs) {
    // tags on one pallet sit at slightly different depths: a small per-tag offset
    const offset = (o.rng.next() - 0.5) * 0.2;
    for (let t = o.rng.next() * step; t < duration; t += step) {
      const progress = t / duration;
      const x = (o.direction === 'in' ? -1 + 2 * progress : 1 - 2 * progress) + offset;
      for (const a of antennas) {
        const rssi = rssiAt(x, a.pos, peak, o.rng);
        // the reader misses some reads (collisions, nulls), more of them at the edge of the field
        if (rssi < SENSITIVITY_DBM || o.rng.next() < 0.15) continue;
        out.push({ epc, antenna: a.port, rssi: Math.round(rssi * 100) / 100, at: Math.round(t + o.rng.next() * 5) });
      }
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** A tag read once or twice, weakly (a reflection, someone walking past with a tagged item). */
export function strayReads(epc: string, antenna: number, rng: Rng): ModelRead[] {
  return [{ epc, antenna, rssi: -70 + rng.gaussian(), at: 0 }];
}

/** Tags on the pallets at the neighbouring door: heard often, but always weak. */
export function neighbourReads(epcs: readonly string[], antenna: number, durationMs: number, rng: Rng): ModelRead[] {
  const out: ModelRead[] = [];
  for (const epc of epcs) for (let t = rng.next() * 200; t < durationMs; t += 200) out.push({ epc, antenna, rssi: -78 + rng.gaussian(), at: Math.round(t) });
  return out.sort((a, b) => a.at - b.at);
}

/** A tag dropped on the floor in the door: read steadily, forever, at a middling level. */
export function lyingTagReads(epc: string, antennas: readonly number[], fromMs: number, durationMs: number, rng: Rng): ModelRead[] {
  const out: ModelRead[] = [];
  for (let t = fromMs; t < fromMs + durationMs; t += 250) for (const a of antennas) out.push({ epc, antenna: a, rssi: -60 + rng.gaussian(), at: Math.round(t) });
  return out;
}
