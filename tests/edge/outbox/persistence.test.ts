import { existsSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { isSpError } from '../../../protocols/errors.ts';
import { alert, drain, indexOf, manifest, reading, tempDir } from './helpers.ts';

// A restarted gateway continues where it stopped: same stream, next seq, the unacknowledged
// batch resent unchanged, everything not yet acknowledged still queued.

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('SqliteOutbox across close and reopen', () => {
  it.each([['full'], ['normal']] as const)('keeps stream id, seq, the batch in flight and the queue (fsync %s)', (fsync) => {
    const path = tmp.path(`reopen-${fsync}.sqlite`);
    const a = SqliteOutbox.open(path, { fsync });
    const stream = a.stream;
    a.append([manifest(), reading(1), alert(2), reading(3)]);
    const b1 = a.nextBatch(2)!;
    a.ack(b1.seq);
    a.append([reading(4), reading(5)]);
    const inFlight = a.nextBatch(2)!;
    expect(inFlight.seq).toBe(2);
    a.close();

    const b = SqliteOutbox.open(path, { fsync });
    expect(b.stream).toBe(stream);
    expect(b.depth()).toBe(4);
    expect(b.nextBatch(100)).toEqual(inFlight); // same seq, same entries, even with a larger limit
    b.ack(inFlight.seq);
    b.append([reading(6)]);
    const next = b.nextBatch(100)!;
    expect(next.seq).toBe(3);
    expect(next.entries.map(indexOf)).toEqual([4, 5, 6]);
    b.close();

    // a batch acknowledged just before a restart is gone; seq still continues
    const c = SqliteOutbox.open(path, { fsync });
    expect(c.nextBatch(100)).toEqual(next);
    c.ack(next.seq);
    c.close();
    const d = SqliteOutbox.open(path, { fsync });
    expect(d.depth()).toBe(0);
    expect(d.bytes()).toBe(0);
    d.append([reading(7)]);
    expect(d.nextBatch(10)!.seq).toBe(4);
    d.close();
  });

  it('restores every batch of the window after a restart, each with its seq and entries, and goes on after them', () => {
    const path = tmp.path('window.sqlite');
    const a = SqliteOutbox.open(path);
    a.append([manifest(), reading(1), reading(2), reading(3), reading(4), reading(5), reading(6)]);
    const out = [a.takeBatch(2)!, a.takeBatch(2)!, a.takeBatch(2)!];
    a.ack(out[0]!.seq); // the first acked, two still out
    a.close();

    const b = SqliteOutbox.open(path);
    expect(b.handedOut()).toEqual(out.slice(1));
    expect(b.depth()).toBe(5);
    expect(b.waiting()).toBe(1);
    const next = b.takeBatch(10)!;
    expect(next.seq).toBe(4);
    expect(next.entries.map(indexOf)).toEqual([6]);
    b.ack(4); // settles 2, 3 and 4
    expect(b.depth()).toBe(0);
    b.close();
    const c = SqliteOutbox.open(path);
    expect(c.handedOut()).toEqual([]);
    expect(c.depth()).toBe(0);
    c.close();
  });

  it('takes over a store written before the seq window: rows marked with their batch are that batch, resent unchanged', () => {
    const path = tmp.path('legacy.sqlite');
    const a = SqliteOutbox.open(path);
    a.append([reading(1), reading(2), reading(3), reading(4)]);
    a.close();
    // what the stop-and-wait outbox left: batch 7's rows marked in place, next_seq after it
    const raw = new Database(path);
    raw.prepare('UPDATE outbox SET batch = 7 WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 2)').run();
    raw.prepare("INSERT INTO meta (key, value) VALUES ('next_seq', '8') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
    raw.close();

    const b = SqliteOutbox.open(path);
    expect(b.handedOut().map(({ seq, entries }) => ({ seq, entries }))).toEqual([{ seq: 7, entries: [reading(1), reading(2)] }]);
    expect(b.waiting()).toBe(2);
    const next = b.takeBatch(10)!;
    expect(next.seq).toBe(8);
    expect(next.entries.map(indexOf)).toEqual([3, 4]);
    b.ack(8);
    expect(b.depth()).toBe(0);
    b.close();
  });

  it('mints a new stream for a new file', () => {
    const a = SqliteOutbox.open(tmp.path('s1.sqlite'));
    const b = SqliteOutbox.open(tmp.path('s2.sqlite'));
    expect(a.stream).not.toBe(b.stream);
    a.close();
    b.close();
  });

  it('refuses a second live outbox on the same file, and takes over a lock left by a dead process', () => {
    const path = tmp.path('locked.sqlite');
    const a = SqliteOutbox.open(path);
    let err: unknown;
    try { SqliteOutbox.open(path); } catch (e) { err = e; }
    expect(isSpError(err) && err.code).toBe('SP_ERR_CONFLICT');
    expect(isSpError(err) && err.details[0]!.field).toBe('storage.dir');
    a.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    writeFileSync(`${path}.lock`, '2147483646'); // a pid that does not run: a killed gateway's lock
    const b = SqliteOutbox.open(path);
    b.append([reading(1)]);
    expect(drain(b).entries.map(indexOf)).toEqual([1]);
    b.close();
  });
});
