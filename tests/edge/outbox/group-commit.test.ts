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
