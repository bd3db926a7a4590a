// Rows of an export are often only roughly in time order (sensors interleaved within a minute).
// This min-heap holds rows for a bounded event-time window and releases them in ts order, so
// a month-long file is replayed with memory for a few minutes of rows, not the whole month.

export class ReorderBuffer<T extends { ts: number }> {
  private heap: Array<{ item: T; seq: number }> = [];
  private seq = 0;
  /** ts of the last row released; rows before it arrived too late */
  private released = Number.NEGATIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs: number) {}

  /** ts of the last row released (a row earlier than this can no longer be replayed in order) */
  get watermark(): number {
    return this.released;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Adds a row and returns the rows now older than the window, in ts order (ties keep file order). */
  push(item: T): T[] {
    this.insert(item);
    this.maxTs = Math.max(this.maxTs, item.ts);
    return this.releaseUpTo(this.maxTs - this.windowMs);
  }

  /** All remaining rows in ts order (end of input). */
  drain(): T[] {
    return this.releaseUpTo(Number.POSITIVE_INFINITY);
  }

  private releaseUpTo(limit: number): T[] {
    const out: T[] = [];
    while (this.heap.length > 0 && this.heap[0]!.item.ts <= limit) {
      const { item } = this.pop();
      this.released = item.ts;
      out.push(item);
    }
    return out;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.item.ts < y.item.ts || (x.item.ts === y.item.ts && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = t;
  }

  private insert(item: T): void {
    this.heap.push({ item, seq: this.seq++ });
    let i = this.heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private pop(): { item: T; seq: number } {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
