import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startDemoStack, type DemoStack } from '../../../bin/demo-stack.ts';
import { startScenario } from '../../../simulators/index.ts';
import { scenarioEdgeConfig } from '../../../bin/scenario-edge-config.ts';
import { hasSocat } from '../../../simulators/stock-devices.ts';
import { startEmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';

// The bakery scenario as `npm start` runs it, with its stock devices: the dock portal brings a
// pallet against the seeded open PO, the flour silo (Modbus TCP) feeds the mixer, the bench
// balance (MT-SICS on a socat pty, when socat exists) gets butter put on in swings. The demo
// steps run every 1.5 s here instead of 20 s.

const SOCAT = hasSocat();
if (!SOCAT) console.warn('[bakery-demo] socat is not installed: the bench balance is left out of the demo, and its checks here are skipped');

let tdb: TestDatabase;
let stack: DemoStack;
let dataDir: string;

const api = async (path: string) => {
  const res = await fetch(stack.url + path, { headers: { authorization: `Bearer ${stack.token}` } });
  expect(res.status, path).toBe(200);
  return res.json() as Promise<any>;
};

beforeAll(async () => {
  tdb = await testDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'sp-bakery-stock-'));
  stack = await startDemoStack({ log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db, publishMs: 500, inbox: false, stockActivityMs: 1500 });
}, 120_000); // the first start seeds three months of cold-stock history (bin/demo-cold-stock.ts)

afterAll(async () => {
  await stack?.stop();
  await tdb?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`bakery demo with stock devices (${engineLabel})`, () => {
  it('the dock portal pallet is received against the seeded PO, then a few cases leave with no shipment (alert)', async () => {
    const stock = await waitFor(async () => { const [s] = await api('/api/stock?item=FLOUR-CASE'); return s?.onHand === 40 && s; }, 'pallet received', 30_000);
    expect(stock.lines[0]).toMatchObject({ location: 'DOCK', onHand: 40 });
    const activity = await waitFor(async () => { const a = await api('/api/dock-activity'); return a.some((x: any) => x.outcome === 'unauthorised_removal') && a; }, 'cases leaving with no shipment', 30_000);
    expect(activity.find((x: any) => x.outcome === 'booked')).toMatchObject({ portal: 'dock-portal', direction: 'in', cases: 40 });
    expect(activity.find((x: any) => x.outcome === 'unauthorised_removal')).toMatchObject({ direction: 'out', cases: 6, exception: 'open' });
  });

  it('the flour silo books its draw-off and shows weighed vs ledger per bin', async () => {
    const silo = await waitFor(async () => (await api('/api/bin-weighings')).find((w: any) => w.location === 'SILO-1' && w.weighed < 800), 'silo weighed after a draw-off', 30_000);
    expect(silo).toMatchObject({ item: 'FLOUR-T55', unit: 'kg', device: 'flour-silo' });
    expect(Math.abs(silo.weighed - silo.ledger)).toBeLessThanOrEqual(silo.tolerance);
    const moves = (await api('/api/movements?item=FLOUR-T55')).filter((m: any) => m.actor === 'device:flour-silo');
    expect(moves[0]).toMatchObject({ kind: 'consumption', from: 'SILO-1' });
    expect(moves[0].qty).toBeCloseTo(25, 0);
  });

  it.skipIf(!SOCAT)('the bench balance (MT-SICS on a pty) books butter put on in swings as one movement', async () => {
    const moves = await waitFor(async () => { const m = (await api('/api/movements?item=BUTTER-250')).filter((x: any) => x.actor === 'device:bench-scale'); return m.length && m; }, 'bench movement', 45_000);
    expect(moves.at(-1)).toMatchObject({ kind: 'adjustment', to: 'B-07', qty: 8 });
  });
});

describe('bakery stock devices without socat', () => {
  it('leaves the bench balance out of both the simulator and the gateway config, saying why', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent'; // socat cannot be found
    try {
      const sim = await startScenario('bakery', { mqttUrl: broker.url, modbusPort: 0, stock: true, seed: 1 });
      const cfg = scenarioEdgeConfig('bakery', { mqttUrl: broker.url, modbusPort: 0, stock: true });
      process.env.PATH = path;
      await sim.stop();
      expect(sim.notes).toEqual([expect.stringContaining('socat is not installed')]);
      expect(sim.status().devices.map((d) => d.id)).toEqual(expect.arrayContaining(['dock-portal', 'flour-silo']));
      expect(sim.status().devices.map((d) => d.id)).not.toContain('bench-scale');
      expect(cfg.devices.map((d) => d.id)).toEqual(expect.arrayContaining(['dock-portal', 'flour-silo']));
      expect(cfg.devices.map((d) => d.id)).not.toContain('bench-scale');
    } finally {
      process.env.PATH = path;
      await broker.close();
    }
  });
});
