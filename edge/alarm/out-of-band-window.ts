// Out-of-band time of one sensor within a rolling window, for the cumulative rule.
//
// Attribution: a sensor is taken to stay in the state of its last reading until the next one
// arrives (sample-and-hold). So readings out at 10:00 and back in at 10:03 count 3 minutes out,
// whatever happened in between. Intervals are kept in ms, sorted and disjoint; those that have
// slid out of the window are pruned, so memory is bounded by the excursions inside one window.

export class OutOfBandWindow {
  /** closed out-of-band intervals [start, end), oldest first; entries before `head` are pruned */
  private starts: number[] = [];
  private ends: number[] = [];
  private head = 0;
  /** sum of the closed intervals from `head` on */
  private closedSum = 0;
  /** start of the excursion in progress, if the last reading was out of band */
  private openStart: number | undefined;

  constructor(readonly windowMs: number) {}

  get isOut(): boolean {
    return this.openStart !== undefined;
  }

  /** start of the excursion in progress (undefined when the last reading was in band) */
  get openSince(): number | undefined {
    return this.openStart;
  }

  /** The sensor read out of band at `t` (no-op if already out). */
  markOut(t: number): void {
    if (this.openStart === undefined) this.openStart = t;
  }

  /** The sensor read back in band at `t`: closes the excursion in progress. */
  markIn(t: number): void {
    const start = this.openStart;
    if (start === undefined) return;
    this.openStart = undefined;
    if (t <= start) return;
    const last = this.starts.length - 1;
    if (last >= this.head && this.ends[last] === start) {
      this.ends[last] = t; // touching intervals merge, keeping the list short
    } else {
      this.starts.push(start);
      this.ends.push(t);
    }
    this.closedSum += t - start;
  }

  /** Out-of-band ms within (t − window, t], for any t at or after the last markIn/markOut. */
  total(t: number): number {
    const from = t - this.windowMs;
    let sum = this.closedSum;
    for (let i = this.head; i < this.starts.length; i++) {
      const s = this.starts[i]!;
      if (s >= from) break;
      const e = this.ends[i]!;
      sum -= Math.min(e, from) - s; // the part of this interval that slid out
      if (e > from) break;
    }
    if (this.openStart !== undefined) sum += Math.max(0, t - Math.max(this.openStart, from));
    return sum;
  }

  /** Start of the oldest out-of-band time still inside the window at `t` (clipped to the window). */
  earliestStart(t: number): number | undefined {
    const from = t - this.windowMs;
    for (let i = this.head; i < this.starts.length; i++) {
      if (this.ends[i]! > from) return Math.max(this.starts[i]!, from);
    }
    return this.openStart === undefined ? undefined : Math.max(this.openStart, from);
  }

  /** End of the latest closed interval (when the window will be empty again, minus the window). */
  get lastEnd(): number | undefined {
    return this.starts.length > this.head ? this.ends[this.ends.length - 1] : undefined;
  }

  /** Drops intervals that can no longer be inside the window at `now` or later. */
  prune(now: number): void {
    const from = now - this.windowMs;
    while (this.head < this.starts.length && this.ends[this.head]! <= from) {
      this.closedSum -= this.ends[this.head]! - this.starts[this.head]!;
      this.head++;
    }
    // compact now and then instead of shift() on every prune (O(n) each)
    if (this.head > 64 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
  }

  /** Intervals held (for tests that check memory stays bounded). */
  get size(): number {
    return this.starts.length - this.head + (this.openStart === undefined ? 0 : 1);
  }
}
