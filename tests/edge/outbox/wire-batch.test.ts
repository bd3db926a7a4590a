import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryOutbox } from '../../../edge/outbox/memory-outbox.ts';
import type { OutboxEntry, PendingBatch } from '../../../edge/outbox/queue.ts';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { toUplinkBatch, uplinkJson } from '../../../edge/uplink/uplink.ts';
import { parseUplinkBatch } from '../../../protocols/uplink/parse.ts';
import { alert, manifest, reading, tempDir } from './helpers.ts';

// The SQLite outbox hands a batch out in wire form: its readings as JSON text SQLite builds
// (edge/outbox/sqlite-batch.ts), spliced into the frame by uplinkJson. The cloud must receive
// exactly the frame the entries themselves would have made — every value the same double, every
// text the same string, the other entries in place — or a resend's digest, the stored values
// and the alerts would differ from what the gateway kept.

const tmp = tempDir('sp-wire-');
afterAll(() => tmp.remove());
let n = 0;
const open = () => SqliteOutbox.open(tmp.path(`w${n++}.sqlite`));

/** the frame as the entries make it (the MemoryOutbox path), sentAt left out */
const reference = (b: Pick<PendingBatch, 'seq' | 'entries'>) => {
  const { sentAt: _s, ...rest } = toUplinkBatch('gw-1', 'stream-1', b);
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
};
const onWire = (b: PendingBatch) => {
  const { sentAt: _s, ...rest } = JSON.parse(uplinkJson('gw-1', 'stream-1', b).toString('utf8')) as Record<string, unknown>;
  return rest;
};

const tricky: OutboxEntry[] = [
  manifest('site "north" \\ 北'),
  { type: 'reading', reading: { sensor: 'probe "a"\\b', kind: 'temperature', ts: 1_790_000_000_001, value: 0.1 + 0.2, quality: 'good' } },
  { type: 'reading', reading: { sensor: '冷库-1 🧊', kind: 'humidity', ts: 0, value: -18.375, quality: 'uncertain' } },
  alert(3),
  { type: 'reading', reading: { sensor: 'tab\there', kind: 'weight', ts: 8_640_000_000_000, value: 1e21, quality: 'bad' } },
  { type: 'reading', reading: { sensor: 's', kind: 'temperature', ts: 5, value: 5e-324, quality: 'good' } },
  { type: 'device', device: { device: 'probe', ts: 5, state: 'offline', lastSeen: 4, battery: 12.5, error: { code: 'SP_ERR_DEVICE', message: 'line\nbreak' } } },
  { type: 'reading', reading: { sensor: 's', kind: 'temperature', ts: 6, value: 7, quality: 'good' } },
  { type: 'reading', reading: { sensor: 's', kind: 'temperature', ts: 7, value: -123456789.123456789, quality: 'good' } },
];

describe('SQLite outbox: a batch in wire form', () => {
  it('is the same frame the entries make, other entries in place, and the cloud parses it to the same readings', () => {
    const o = open();
    o.append(tricky);
    const b = o.takeBatch(100)!;
    expect(b.wire).toBeDefined();
    expect(b.size).toBe(tricky.length);
    expect(b.readings).toBe(6);
    expect(b.entries).toEqual(tricky);
    const m = new MemoryOutbox();
    m.append(tricky);
    const mb = m.takeBatch(100)!;
    expect(onWire(b)).toEqual(reference(mb));
    const parsed = parseUplinkBatch(uplinkJson('gw-1', 'stream-1', b), 'gw-1');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.batch.readings).toEqual(tricky.filter((e) => e.type === 'reading').map((e) => e.reading));
    o.close();
  });

  it('carries every finite double to the cloud as the same double', () => {
    fc.assert(fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }), (values) => {
      const o = open();
      try {
        o.append(values.map((value, i) => ({ type: 'reading', reading: { sensor: 's', kind: 'temperature', ts: i, value, quality: 'good' } })));
        const b = o.takeBatch(1000)!;
        const got = (JSON.parse(uplinkJson('gw-1', 'stream-1', b).toString('utf8')) as { readings: { value: number }[] }).readings.map((r) => r.value);
        // what JSON.stringify would have sent (it writes -0 as 0)
        expect(got).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
      } finally {
        o.close();
      }
    }), { numRuns: 40 });
  });

  it('is resent after a restart as the same frame', () => {
    const path = tmp.path('restart.sqlite');
    const a = SqliteOutbox.open(path);
    a.append([...tricky, reading(1), alert(9), reading(2)]);
    const first = a.takeBatch(5)!;
    const second = a.takeBatch(100)!;
    const before = [onWire(first), onWire(second)];
    a.close();
    const b = SqliteOutbox.open(path);
    const out = b.handedOut();
    expect(out.map((x) => x.seq)).toEqual([first.seq, second.seq]);
    expect(out.map(onWire)).toEqual(before);
    expect(out.flatMap((x) => x.entries)).toEqual([...tricky, reading(1), alert(9), reading(2)]);
    b.ack(second.seq);
    expect(b.depth()).toBe(0);
    b.close();
  });

  it('the first send writes the frame around the readings without copying them; a resend is a new frame and leaves the first as it was', () => {
    const o = open();
    o.append(tricky);
    const b = o.takeBatch(100)!;
    const first = uplinkJson('gw-1', 'stream-1', b);
    // the same allocation as the readings SQLite returned: no second copy of them
    expect(first.buffer).toBe(b.wire!.readingsJson.buffer);
    const sent = Buffer.from(first);
    const again = uplinkJson('gw-1', 'stream-1', b);
    expect(again.buffer).not.toBe(first.buffer);
    // the frame handed to the broker client is not written over by the resend
    expect(first.equals(sent)).toBe(true);
    const { sentAt: _a, ...one } = JSON.parse(first.toString('utf8')) as Record<string, unknown>;
    const { sentAt: _b, ...two } = JSON.parse(again.toString('utf8')) as Record<string, unknown>;
    expect(one).toEqual(two);
    expect(one).toEqual(reference(b));
    o.close();
  });

  it('a gateway id too long for the room before the readings gets the same frame, copied', () => {
    const o = open();
    o.append([reading(1), alert(2), reading(3)]);
    const b = o.takeBatch(10)!;
    const long = `gw-${'长'.repeat(400)}`;
    const frame = uplinkJson(long, 'stream-1', b);
    expect(frame.buffer).not.toBe(b.wire!.readingsJson.buffer);
    const { sentAt: _s, ...rest } = JSON.parse(frame.toString('utf8')) as Record<string, unknown>;
    const { sentAt: _r, ...want } = toUplinkBatch(long, 'stream-1', { seq: b.seq, entries: [reading(1), alert(2), reading(3)] });
    expect(rest).toEqual(JSON.parse(JSON.stringify(want)));
    // the room was left unused: the next send still builds in place
    expect(uplinkJson('gw-1', 'stream-1', b).buffer).toBe(b.wire!.readingsJson.buffer);
    o.close();
  });

  it('a batch of readings only, and one of other entries only', () => {
    const o = open();
    o.append([reading(1), reading(2)]);
    const r = o.takeBatch(10)!;
    expect(r.wire!.others).toEqual([]);
    expect(onWire(r)).toEqual(reference({ seq: r.seq, entries: [reading(1), reading(2)] }));
    o.append([alert(1), alert(2)]);
    const a = o.takeBatch(10)!;
    expect(a.readings).toBe(0);
    expect(Buffer.from(a.wire!.readingsJson).toString('utf8')).toBe('[]');
    expect(onWire(a)).toEqual(reference({ seq: a.seq, entries: [alert(1), alert(2)] }));
    o.close();
  });
});
