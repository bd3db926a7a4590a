import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { openEdgeDb } from '../../../edge/outbox/db.ts';
import { SqliteDeadLetters } from '../../../edge/outbox/sqlite-dead-letters.ts';
import { openEdgeStore, edgeStorePath, type EdgeStore } from '../../../edge/outbox/store.ts';
import { tempDir } from './helpers.ts';

// Dead letters are kept on disk with their coded reason, bounded, and an operator reads them
// with `stockpulse deadletter` from the gateway's own config file — also while it runs.

const tmp = tempDir('sp-dead-');
afterAll(() => tmp.remove());

const cli = (args: string[]) => runCli(['deadletter', ...args]);

describe('SqliteDeadLetters', () => {
  it('keeps code, reason, source, topic and payload; lists newest first, by source; counts all ever added', () => {
    const edb = openEdgeDb(tmp.path('dl.sqlite'));
    const dl = new SqliteDeadLetters(edb);
    dl.add({ source: 'probe-1', topic: 'site/probe-1', code: 'SP_ERR_DECODE', reason: 'not JSON', payload: '{bad', at: 1000 });
    dl.add({ source: 'probe-2', code: 'SP_ERR_DEVICE', reason: 'timeout', payload: 'sensor t2', at: 2000 });
    dl.add({ source: 'probe-1', topic: 'site/probe-1', code: 'SP_ERR_DECODE', reason: 'no value', payload: '{}', at: 3000 });
    expect(dl.count()).toBe(3);
    expect(dl.list(2)).toEqual([
      { at: 3000, source: 'probe-1', topic: 'site/probe-1', code: 'SP_ERR_DECODE', reason: 'no value', payload: '{}' },
      { at: 2000, source: 'probe-2', code: 'SP_ERR_DEVICE', reason: 'timeout', payload: 'sensor t2' },
    ]);
    expect(dl.list(10, 'probe-1').map((d) => d.at)).toEqual([3000, 1000]);
    edb.close();
    const again = openEdgeDb(tmp.path('dl.sqlite'));
    expect(new SqliteDeadLetters(again).count()).toBe(3);
    again.close();
  });

  it('is bounded: old ones are pruned, the count still includes them', () => {
    const edb = openEdgeDb(tmp.path('bounded.sqlite'));
    const dl = new SqliteDeadLetters(edb, 10);
    for (let i = 0; i < 1001; i++) dl.add({ source: 'noisy', code: 'SP_ERR_DECODE', reason: `frame ${i}`, payload: 'x'.repeat(100) });
    expect(dl.count()).toBe(1001);
    const kept = dl.counts().kept;
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThan(1001 - 500); // pruned in steps of 500 adds
    expect(dl.list(1)[0]!.reason).toBe('frame 1000');
    edb.close();
  });
});

describe('stockpulse deadletter', () => {
  let configPath: string;
  let store: EdgeStore;
  beforeAll(() => {
    const raw = {
      gateway: { id: 'gw-dl', site: 'site-dl' },
      deviceBroker: { url: 'mqtt://127.0.0.1:1' },
      uplink: { url: 'mqtt://127.0.0.1:1' },
      zones: [{ id: 'cold', name: 'Cold', profile: { high: 5 } }],
      devices: [],
      storage: { dir: tmp.path('store') },
    };
    configPath = tmp.path('gw.json');
    writeFileSync(configPath, JSON.stringify(raw));
    store = openEdgeStore(parseEdgeConfig(raw, {}));
    store.deadLetters.add({ source: 'chiller-probe', topic: 'bakery/chiller', code: 'SP_ERR_DECODE', reason: 'payload is not JSON', payload: 'temp=4.2\nbatt=97' });
    store.deadLetters.add({ source: 'freezer-modbus', code: 'SP_ERR_DEVICE', reason: 'no answer within 1000 ms', payload: 'sensor freezer-t1' });
    store.deadLetters.add({ source: 'chiller-probe', topic: 'bakery/chiller', code: 'SP_ERR_DECODE', reason: 'temperature: not a number', payload: '{"temperature":"hot"}' });
  });
  afterAll(() => store?.close());

  it('lists as a table, newest first, while the gateway holds the store open', async () => {
    const r = await cli(['list', '--config', configPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT \(UTC\)\s+SOURCE\s+CODE\s+REASON\s+PAYLOAD$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('temperature: not a number');
    expect(lines[3]).toMatch(/chiller-probe\s+SP_ERR_DECODE\s+payload is not JSON\s+temp=4.2 batt=97/);
  });

  it('filters by --source and --limit, and prints JSON with --json', async () => {
    const r = await cli(['list', '--config', configPath, '--source', 'chiller-probe', '--limit', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ source: 'chiller-probe', code: 'SP_ERR_DECODE', reason: 'temperature: not a number', payload: '{"temperature":"hot"}', topic: 'bakery/chiller' }),
    ]);
  });

  it('counts, in total and per source', async () => {
    const r = await cli(['count', '--config', configPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`gateway gw-dl (${edgeStorePath({ gateway: { id: 'gw-dl' }, storage: { dir: tmp.path('store') } })}): 3 dead letters, 3 kept`);
    expect(r.stdout).toMatch(/chiller-probe\s+2\n/);
    const j = await cli(['count', '--config', configPath, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ gateway: 'gw-dl', total: 3, kept: 3, bySource: [{ source: 'chiller-probe', count: 2 }, { source: 'freezer-modbus', count: 1 }] });
  });

  it('explains itself with --help, and rejects bad input with a coded error naming the field', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: stockpulse deadletter list');
    const bad = await cli(['list', '--config', configPath, '--limit', 'ten']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error SP_ERR_VALIDATION');
    expect(bad.stderr).toContain('  limit: "ten" is not a positive whole number');
    const missing = tmp.path('other.json');
    writeFileSync(missing, JSON.stringify({ gateway: { id: 'gw-none', site: 's' }, deviceBroker: { url: 'mqtt://127.0.0.1:1' }, uplink: { url: 'mqtt://127.0.0.1:1' }, zones: [{ id: 'z', name: 'Z', profile: {} }], devices: [], storage: { dir: tmp.path('nothing-here') } }));
    const none = await cli(['count', '--config', missing]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error SP_ERR_NOT_FOUND');
    expect(none.stderr).toContain('storage.dir: no edge store at');
  });
});
