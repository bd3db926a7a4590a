import { afterAll, describe, expect, it } from 'vitest';
import { openEdgeDb, PAGE_CACHE_KIB } from '../../../edge/outbox/db.ts';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { drain, reading, tempDir } from './helpers.ts';

// The gateway's store keeps SQLite's page cache at PAGE_CACHE_KIB, not better-sqlite3's built-in
// 16 MB, which a catch-up filled and the gateway then held for good (edge/outbox/db.ts). The
// setting is per connection: it must hold on the connection the outbox uses, after a reopen too,
// and a store bigger than the cache still reads back whole and in order.

const tmp = tempDir('sp-page-cache-');
afterAll(() => tmp.remove());

describe('the edge store\'s page cache', () => {
  it('is capped on every open, and a store larger than it drains whole and in order', () => {
    const path = tmp.path('cache.sqlite');
    const first = openEdgeDb(path, 'full');
    expect(first.db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    const o = new SqliteOutbox(first);
    const n = 60_000; // ~3 MB of pages: more than the cache holds
    for (let i = 0; i < n; i += 5_000) o.append([...Array(5_000).keys()].map((k) => reading(i + k)));
    first.close();
    const again = openEdgeDb(path, 'full');
    expect(again.db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(again.db.pragma('page_count', { simple: true }) as number * (again.db.pragma('page_size', { simple: true }) as number)).toBeGreaterThan(PAGE_CACHE_KIB * 1024);
    const out = drain(new SqliteOutbox(again)).entries;
    expect(out).toHaveLength(n);
    expect(out.every((e, i) => e.type === 'reading' && e.reading.value === i)).toBe(true);
    again.close();
  });
});
