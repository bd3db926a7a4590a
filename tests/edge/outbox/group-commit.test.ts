import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { openEdgeDb, type EdgeDb } from '../../../edge/outbox/db.ts';
import { alert, drain, indexOf, reading, tempDir } from './helpers.ts';

// Group commit (appendGrouped): frames that arrive in the same event-loop turn share one commit,
// each caller learns when its entries are on disk (that is when the device gets its PUBACK), a
// failed commit refuses every frame in it, and order with plain append() is kept.

const tmp = tempDir();
afterAll(() => tmp.remove());

/** the store with its commits counted, and a switch to make the next commit fail */
function counted(name: string): { edb: EdgeDb; commits: () => number; failNext: () => void } {
  const edb = openEdgeDb(tmp.path(name), 'full');
  let n = 0;
  let fail = false;
  return {
    edb: { ...edb, commit: (level, fn) => { n++; if (fail) { fail = false; throw new Error('disk full'); } return edb.commit(level, fn); } },
    commits: () => n,
    failNext: () => { fail = true; },
  };
}

describe('SqliteOutbox.appendGrouped', () => {
  it('frames staged in one loop turn share one commit and resolve only once it is done', async () => {
    const c = counted('group.sqlite');
    const o = new SqliteOutbox(c.edb);
    const before = c.commits();
    const kept = [...Array(50).keys()].map((i) => o.appendGrouped([reading(i)]));
    expect(o.depth()).toBe(0); // not kept yet: nothing may be acknowledged
    let settled = 0;
    for (const k of kept) void k.then(() => settled++);
    await Promise.resolve();
    expect(settled).toBe(0);
    await Promise.all(kept);
    expect(c.commits() - before).toBe(1);
    expect(o.depth()).toBe(50);
    expect(drain(o).entries.map(indexOf)).toEqual([...Array(50).keys()]);
    c.edb.close();
  });

  it('append() commits what is staged first, in the same transaction, so an alert never precedes its reading', async () => {
    const c = counted('order.sqlite');
    const o = new SqliteOutbox(c.edb);
    const before = c.commits();
    const kept = [o.appendGrouped([reading(1)]), o.appendGrouped([reading(2)])];
    o.append([alert(3)]);
    expect(c.commits() - before).toBe(1);
    await Promise.all(kept);
    expect(c.commits() - before).toBe(1); // the scheduled flush found nothing left
    expect(drain(o).entries.map(indexOf)).toEqual([1, 2, 3]);
    c.edb.close();
  });

  it('a failed commit refuses every frame in it, keeps none of them, and the next group goes through', async () => {
    const c = counted('fail.sqlite');
    const o = new SqliteOutbox(c.edb);
    c.failNext();
    const refused = await Promise.allSettled([o.appendGrouped([reading(1)]), o.appendGrouped([reading(2)])]);
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(o.depth()).toBe(0);
    await o.appendGrouped([reading(3)]);
    expect(drain(o).entries.map(indexOf)).toEqual([3]);
    c.edb.close();
  });

  it('a large burst is cut into bounded commits, all kept in order', async () => {
    const c = counted('burst.sqlite');
    const o = new SqliteOutbox(c.edb);
    const before = c.commits();
    await Promise.all([...Array(12_000).keys()].map((i) => o.appendGrouped([reading(i)])));
    expect(c.commits() - before).toBe(3); // 5000 + 5000 + 2000
    const got = drain(o, 20_000).entries.map(indexOf);
    expect(got).toEqual([...Array(12_000).keys()]);
    c.edb.close();
  });
});

describe('SqliteOutbox.appendAndTake (an alert that goes out at once)', () => {
  it('keeps the alert with the readings staged before it and hands out their batch in ONE commit; after a restart the batch is the same', async () => {
    const c = counted('urgent.sqlite');
    const o = new SqliteOutbox(c.edb);
    o.append([reading(0)]);
    const first = o.takeBatch(100)!; // a batch already on the wire: the new one comes after it
    const before = c.commits();
    const kept = [o.appendGrouped([reading(1)]), o.appendGrouped([reading(2)])];
    const batch = o.appendAndTake([alert(3)], 100)!;
    expect(c.commits() - before).toBe(1); // append + hand-out: one fsync, not two
    await Promise.all(kept); // the staged readings' devices may be acknowledged now
    expect(c.commits() - before).toBe(1);
    expect(batch.seq).toBe(first.seq + 1);
    expect(batch.entries.map(indexOf)).toEqual([1, 2, 3]);
    expect(o.waiting()).toBe(0);
    c.edb.close();
    // the seq went on the wire: a restarted gateway resends the same batch under it, and cuts the next seq after it
    const again = new SqliteOutbox(openEdgeDb(tmp.path('urgent.sqlite'), 'full'));
    expect(again.handedOut().map((b) => [b.seq, b.entries.map(indexOf)])).toEqual([[first.seq, [0]], [batch.seq, [1, 2, 3]]]);
    again.append([reading(4)]);
    expect(again.takeBatch(100)!.seq).toBe(batch.seq + 1);
  });

  it('cuts at the batch size: what does not fit waits for the next batch, in order', () => {
    const c = counted('urgent-cut.sqlite');
    const o = new SqliteOutbox(c.edb);
    o.append([reading(1), reading(2), reading(3)]);
    const batch = o.appendAndTake([alert(4)], 2)!;
    expect(batch.entries.map(indexOf)).toEqual([1, 2]);
    expect(o.waiting()).toBe(2);
    expect(o.takeBatch(10)!.entries.map(indexOf)).toEqual([3, 4]);
    c.edb.close();
  });

  it('a failed commit keeps nothing and hands out nothing: the alert is refused to its caller, the seq is not used', () => {
    const c = counted('urgent-fail.sqlite');
    const o = new SqliteOutbox(c.edb);
    c.failNext();
    expect(() => o.appendAndTake([alert(1)], 100)).toThrow(/disk full/);
    expect(o.depth()).toBe(0);
    expect(o.handedOut()).toEqual([]);
    const batch = o.appendAndTake([alert(2)], 100)!;
    expect(batch.seq).toBe(1);
    expect(batch.entries.map(indexOf)).toEqual([2]);
    c.edb.close();
  });
});
