import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from '../helpers/import-graph.ts';

// One writer per table that people are told from (issue #15): an alert row is written only by
// cloud/notify/alerts.ts, so every alert — a gateway's, or one of the cloud's own rules'
// (expiry, quarantine, low stock, refusals) — gets its incident and its deliveries the same way;
// a notification delivery only by cloud/notify/deliveries.ts, so every payload is built one way
// from what is stored. A source scan: raw SQL (`INSERT INTO alerts`) or drizzle
// (`.insert(alerts)`), in every folder of ours that holds code.

const DIRS = ['cloud', 'edge', 'protocols', 'bin', 'simulators', 'bench'];
const files = DIRS.flatMap((d) => sourceFiles(d));

/** the files whose text inserts into `table` (raw SQL) or its drizzle table `drizzleName` */
function writersOf(table: string, drizzleName: string): string[] {
  const sql = new RegExp(`\\bINSERT\\s+INTO\\s+${table}\\b`, 'i');
  const orm = new RegExp(`\\.insert\\(\\s*(?:schema\\.)?${drizzleName}\\b`);
  return files.filter((f) => {
    const src = readFileSync(join(ROOT, f), 'utf8');
    return sql.test(src) || orm.test(src);
  });
}

describe('one writer per notified table', () => {
  it('the scan sees the code (so an empty answer is not a broken scan)', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(files).toContain('cloud/notify/alerts.ts');
    expect(writersOf('alerts', 'alerts')).not.toEqual([]);
  });

  it('only cloud/notify/alerts.ts inserts into alerts', () => {
    expect(writersOf('alerts', 'alerts')).toEqual(['cloud/notify/alerts.ts']);
  });

  it('only cloud/notify/deliveries.ts inserts into notification_deliveries', () => {
    expect(writersOf('notification_deliveries', 'notificationDeliveries')).toEqual(['cloud/notify/deliveries.ts']);
  });
});
