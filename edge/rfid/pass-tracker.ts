import { createHash } from 'node:crypto';
import type { TagRead } from '../../protocols/rfid/tag-read.ts';
import type { PortalConfig } from './portal-config.ts';

// Reads → passes, for one portal. Pure: time comes from the reads and from tick(now), so tests
// step a clock instead of sleeping.
//
// A portal reads each tag dozens of times per second while a pallet crosses. What we want is
// "40 cases went in at 10:02". So:
// - reads below minRssi are dropped (the neighbouring door hears our tags weakly, and we theirs);
// - while reads keep coming (gaps < passGapMs) they belong to one open pass — a pallet's tags
//   are read together, so they group by time, not by EPC;
// - per tag we keep, per side (outside/inside), the first read and the time of the RSSI peak;
//   the tag's direction is outside→inside = in, inside→outside = out (antenna order), or the
//   side whose RSSI peaked first (rssi-peak: the tag is nearest each antenna in turn, which works
//   even when both sides hear the tag from the start);
// - the pass direction is the majority of its tags (a tag heard on one side only follows it);
// - tags read fewer than minReads times are strays; a tag heard for longer than maxDwellMs is
//   lying in the field and is left out (and ignored from then on until it goes quiet);
// - after a pass closes, its EPCs at the same reader are ignored for dedupeWindowMs.

export type Side = 'outside' | 'inside';
export type Direction = 'in' | 'out' | 'unknown';

interface SideStats {
  first: number;
  peakRssi: number;
  peakAt: number;
  reads: number;
}

interface TagStats {
  epc: string;
  readers: Set<string>;
  first: number;
  last: number;
  reads: number;
  sides: Partial<Record<Side, SideStats>>;
}

export interface PassTag {
  epc: string;
  reads: number;
  direction: Direction;
  peakRssi?: number;
}

export interface Pass {
  /** deterministic: portal, start time and the EPCs — a replay of the same reads gives the same id */
  id: string;
  portal: string;
  startedAt: number;
  endedAt: number;
  direction: Direction;
  tags: PassTag[];
  /** EPCs dropped as strays (too few reads) */
  strays: string[];
  /** EPCs left out as lying in the field */
  stationary: string[];
}

export interface TrackerStats {
  reads: number;
  weak: number;
  deduplicated: number;
  foreignAntenna: number;
  passes: number;
}

export class PassTracker {
  private open: { startedAt: number; tags: Map<string, TagStats>; stationary: string[] } | undefined;
  /** `${reader}|${epc}` → until when reads are ignored (after a pass, or while lying in the field) */
  private readonly quiet = new Map<string, number>();
  private readonly sideOf = new Map<string, Side>();
  readonly stats: TrackerStats = { reads: 0, weak: 0, deduplicated: 0, foreignAntenna: 0, passes: 0 };

  constructor(private readonly cfg: PortalConfig) {
    for (const r of cfg.readers) {
      for (const a of r.outside) this.sideOf.set(`${r.device}#${a}`, 'outside');
      for (const a of r.inside) this.sideOf.set(`${r.device}#${a}`, 'inside');
    }
  }

  /** no pass open: every read so far is either in a closed pass or was dropped (stray, weak, quiet) */
  get idle(): boolean {
    return this.open === undefined;
  }

  /** readers this portal listens to */
  get readers(): string[] {
    return this.cfg.readers.map((r) => r.device);
  }

  /** Feeds one read; returns a pass when this read arrived after the open one had ended. */
  ingest(r: TagRead): Pass[] {
    const closed = this.tick(r.ts);
    const side = this.sideOf.get(`${r.reader}#${r.antenna}`);
    if (!side) { this.stats.foreignAntenna++; return closed; }
    this.stats.reads++;
    if (r.rssi !== undefined && r.rssi < this.cfg.minRssi) { this.stats.weak++; return closed; }
    const key = `${r.reader}|${r.epc}`;
    const quietUntil = this.quiet.get(key);
    if (quietUntil !== undefined) {
      if (r.ts < quietUntil) {
        this.stats.deduplicated++;
        // a tag lying in the field keeps itself quiet for as long as it keeps being read
        if (quietUntil - r.ts < this.cfg.dedupeWindowMs) this.quiet.set(key, r.ts + this.cfg.dedupeWindowMs);
        return closed;
      }
      this.quiet.delete(key);
    }
    if (!this.open) this.open = { startedAt: r.ts, tags: new Map(), stationary: [] };
    const pass = this.open;
    let t = pass.tags.get(r.epc);
    if (!t) { t = { epc: r.epc, readers: new Set(), first: r.ts, last: r.ts, reads: 0, sides: {} }; pass.tags.set(r.epc, t); }
    t.readers.add(r.reader);
    t.first = Math.min(t.first, r.ts);
    t.last = Math.max(t.last, r.ts);
    t.reads += r.count;
    const rssi = r.rssi ?? -Infinity;
    const s = t.sides[side];
    if (!s) t.sides[side] = { first: r.ts, peakRssi: rssi, peakAt: r.ts, reads: r.count };
    else {
      s.first = Math.min(s.first, r.ts);
      s.reads += r.count;
      if (rssi > s.peakRssi) { s.peakRssi = rssi; s.peakAt = r.ts; }
    }
    return closed;
  }

  /** Closes the open pass once passGapMs has gone by without a read. Call it on a timer. */
  tick(now: number): Pass[] {
    const open = this.open;
    if (!open) return [];
    // A tag lying in the field would hold the pass open forever: once it has been heard for
    // longer than maxDwellMs it leaves the pass and stays quiet while it keeps being read.
    for (const t of open.tags.values()) {
      if (t.last - t.first <= this.cfg.maxDwellMs) continue;
      open.tags.delete(t.epc);
      open.stationary.push(t.epc);
      for (const reader of t.readers) this.quiet.set(`${reader}|${t.epc}`, t.last + this.cfg.dedupeWindowMs);
    }
    const lastRead = Math.max(open.startedAt, ...[...open.tags.values()].map((t) => t.last));
    if (open.tags.size > 0 && now - lastRead < this.cfg.passGapMs) return [];
    this.open = undefined;
    const startedAt = open.tags.size ? Math.min(...[...open.tags.values()].map((t) => t.first)) : open.startedAt;
    const pass = this.close(startedAt, lastRead, [...open.tags.values()], open.stationary);
    return pass ? [pass] : [];
  }

  /** Closes whatever is open now (shutdown). */
  flush(): Pass[] {
    if (!this.open) return [];
    return this.tick(Number.MAX_SAFE_INTEGER);
  }

  private tagDirection(t: TagStats): Direction {
    const o = t.sides.outside;
    const i = t.sides.inside;
    if (!o || !i) return 'unknown';
    const [a, b] = this.cfg.direction === 'antenna-order' ? [o.first, i.first] : [o.peakAt, i.peakAt];
    if (a === b) return 'unknown';
    return a < b ? 'in' : 'out';
  }

  private close(startedAt: number, endedAt: number, all: TagStats[], stationary: string[]): Pass | undefined {
    const strays: string[] = [];
    const tags: PassTag[] = [];
    for (const t of all) {
      if (t.reads < this.cfg.minReads) { strays.push(t.epc); continue; }
      const peak = Math.max(t.sides.outside?.peakRssi ?? -Infinity, t.sides.inside?.peakRssi ?? -Infinity);
      tags.push({ epc: t.epc, reads: t.reads, direction: this.tagDirection(t), ...(Number.isFinite(peak) ? { peakRssi: peak } : {}) });
      for (const reader of t.readers) this.quiet.set(`${reader}|${t.epc}`, endedAt + this.cfg.dedupeWindowMs);
    }
    if (tags.length === 0 && strays.length === 0) return undefined; // only a tag lying in the field: nothing passed
    const ins = tags.filter((t) => t.direction === 'in').length;
    const outs = tags.filter((t) => t.direction === 'out').length;
    const direction: Direction = ins > outs ? 'in' : outs > ins ? 'out' : 'unknown';
    for (const t of tags) if (t.direction === 'unknown') t.direction = direction;
    tags.sort((a, b) => (a.epc < b.epc ? -1 : 1));
    const hash = createHash('sha256').update(tags.map((t) => t.epc).join(',')).digest('hex').slice(0, 8);
    this.stats.passes++;
    return { id: `${this.cfg.id}-${startedAt}-${hash}`, portal: this.cfg.id, startedAt, endedAt, direction, tags, strays: strays.sort(), stationary: stationary.sort() };
  }
}
