import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryOutbox, type Outbox } from '../../../edge/outbox/memory-outbox.ts';
import { type OutboxEntry } from '../../../edge/outbox/queue.ts';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { alert, drain, indexOf, manifest, reading, tempDir } from './helpers.ts';

// The Outbox contract (edge/outbox/memory-outbox.ts), held by the durable outbox exactly as by the
// memory one: the uplink and the cloud's dedup rely on it.

const tmp = tempDir();
afterAll(() => tmp.remove());
let n = 0;
const opened: SqliteOutbox[] = [];
afterAll(() => { for (const o of opened) o.close(); });

const impls: [string, () => Outbox][] = [
  ['SqliteOutbox', () => { const o = SqliteOutbox.open(tmp.path(`c${n++}.sqlite`)); opened.push(o); return o; }],
  ['MemoryOutbox', () => new MemoryOutbox()],
];

describe.each(impls)('%s keeps the outbox contract', (_name, make) => {
  it('hands out the same batch (seq and entries) until it is acknowledged, then the next', () => {
    const o = make();
    o.append([reading(1), alert(2), reading(3)]);
    const b1 = o.nextBatch(2)!;
    expect(b1.seq).toBe(1);
    expect(b1.entries.map(indexOf)).toEqual([1, 2]);
    o.append([reading(4)]);
    expect(o.nextBatch(10)).toEqual(b1); // a resend: unchanged, even with more waiting
    o.ack(99); // a stale ack changes nothing
    expect(o.nextBatch(10)).toEqual(b1);
    o.ack(1);
    const b2 = o.nextBatch(10)!;
    expect(b2.seq).toBe(2);
    expect(b2.entries.map(indexOf)).toEqual([3, 4]);
    o.ack(2);
    expect(o.nextBatch(10)).toBeUndefined();
  });

  it('hands out several batches at once (the seq window); an ack settles every batch up to its seq', () => {
    const o = make();
    o.append([reading(1), reading(2), reading(3), reading(4), reading(5)]);
    const b1 = o.takeBatch(2)!;
    const b2 = o.takeBatch(2)!;
    expect([b1.seq, b2.seq]).toEqual([1, 2]);
    expect(o.waiting()).toBe(1);
    expect(o.depth()).toBe(5);
    expect(o.handedOut()).toEqual([b1, b2]);
    expect(o.nextBatch(10)).toEqual(b1); // the oldest out, unchanged
    o.ack(7); // never handed out: ignored
    expect(o.handedOut()).toHaveLength(2);
    o.ack(2); // cumulative: 1 and 2 settled
    expect(o.handedOut()).toEqual([]);
    expect(o.depth()).toBe(1);
    const b3 = o.takeBatch(10)!;
    expect(b3.seq).toBe(3);
    expect(b3.entries.map(indexOf)).toEqual([5]);
    expect(o.takeBatch(10)).toBeUndefined();
    o.ack(3);
    expect(o.depth()).toBe(0);
    expect(o.oldestAt()).toBeUndefined();
  });

  it('counts depth including the batch in flight, and knows the oldest entry time', () => {
    const o = make();
    expect(o.depth()).toBe(0);
    expect(o.oldestAt()).toBeUndefined();
    const before = Date.now();
    o.append([reading(1), reading(2), reading(3)]);
    expect(o.depth()).toBe(3);
    expect(o.oldestAt()).toBeGreaterThanOrEqual(before);
    const b = o.nextBatch(2)!;
    expect(o.depth()).toBe(3);
    o.ack(b.seq);
    expect(o.depth()).toBe(1);
    drain(o);
    expect(o.depth()).toBe(0);
    expect(o.oldestAt()).toBeUndefined();
  });

  it('puts at most one manifest in a batch (cuts before the second)', () => {
    const o = make();
    o.append([manifest('a'), reading(1), manifest('b'), reading(2)]);
    const b1 = o.nextBatch(100)!;
    expect(b1.entries.map((e) => e.type)).toEqual(['manifest', 'reading']);
    o.ack(b1.seq);
    const b2 = o.nextBatch(100)!;
    expect(b2.entries.map((e) => e.type)).toEqual(['manifest', 'reading']);
    expect((b2.entries[0] as Extract<OutboxEntry, { type: 'manifest' }>).manifest.site).toBe('b');
  });

  it('keeps entries intact: every field of readings, alerts, device events and manifests comes back equal', () => {
    const o = make();
    const entries: OutboxEntry[] = [
      manifest('site-1'),
      { type: 'reading', reading: { sensor: 'door-1', kind: 'door', ts: 1_790_000_000_123, value: 1, quality: 'uncertain' } },
      { type: 'reading', reading: { sensor: 't', kind: 'temperature', ts: 1, value: -18.375, quality: 'bad' } },
      alert(7),
      { type: 'device', device: { device: 'probe', ts: 5, state: 'offline', lastSeen: 4, battery: 12.5, error: { code: 'SP_ERR_DEVICE', message: 'silent' } } },
    ];
    o.append(entries);
    expect(drain(o).entries).toEqual(entries);
  });

  it('delivers everything appended, in order, exactly once, with gap-free seqs (any interleaving)', () => {
    type Op = { op: 'append'; n: number; alertEvery: number } | { op: 'send'; max: number } | { op: 'ack' } | { op: 'staleAck' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 12 }), alertEvery: fc.integer({ min: 2, max: 6 }) }),
      fc.record({ op: fc.constant('send' as const), max: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ op: fc.constant('ack' as const) }),
      fc.record({ op: fc.constant('staleAck' as const) }),
    );
    fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const o = make();
      let next = 0;
      const delivered: number[] = [];
      const seqs: number[] = [];
      let inFlight: number | undefined;
      for (const op of ops) {
        if (op.op === 'append') {
          const batch: OutboxEntry[] = [];
          for (let i = 0; i < op.n; i++, next++) batch.push(next % op.alertEvery === 0 ? alert(next) : reading(next));
          o.append(batch);
        } else if (op.op === 'send') {
          const b = o.nextBatch(op.max);
          if (b && inFlight === undefined) {
            inFlight = b.seq;
            seqs.push(b.seq);
            delivered.push(...b.entries.map(indexOf));
          }
          if (b) expect(b.seq).toBe(inFlight);
        } else if (op.op === 'ack' && inFlight !== undefined) {
          o.ack(inFlight);
          inFlight = undefined;
        } else if (op.op === 'staleAck') {
          o.ack((inFlight ?? 0) + 1000);
        }
      }
      if (inFlight !== undefined) o.ack(inFlight);
      const rest = drain(o, 7);
      delivered.push(...rest.entries.map(indexOf));
      seqs.push(...rest.seqs);
      expect(delivered).toEqual([...Array(next).keys()]);
      if (seqs.length) expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      expect(o.depth()).toBe(0);
    }), { numRuns: 40 });
  });
});

describe('SqliteOutbox size', () => {
  it('reports approximate stored bytes that grow with appends and shrink with acks', () => {
    const o = SqliteOutbox.open(tmp.path('bytes.sqlite'));
    opened.push(o);
    expect(o.bytes()).toBe(0);
    o.append([reading(1), reading(2)]);
    const two = o.bytes();
    expect(two).toBeGreaterThan(2 * 'reading'.length);
    o.append([alert(3)]);
    expect(o.bytes()).toBeGreaterThan(two + JSON.stringify(alert(3)).length - 1);
    drain(o);
    expect(o.bytes()).toBe(0);
  });
});
