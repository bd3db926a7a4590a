import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import type { OutboxEntry } from '../../../edge/outbox/queue.ts';
import { sgtinFromGtin } from '../../../protocols/epc/encode.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { RfidPortalSim } from '../../../simulators/devices/rfid-portal.ts';
import { waitFor } from '../../helpers/net.ts';
import { quietFor } from '../../helpers/pause.ts';
import { startEmbeddedBroker, startGatewayRig, type EmbeddedBroker } from './helpers/gateway-rig.ts';

// A pallet half way through the dock door when the gateway goes down is still booked, once: the
// reader's reports are journaled in the edge store before they are acknowledged, a stop does not
// close the open pass (that would book half a pallet), and the next start replays the journal.

const GTIN = '80614141123458';
const dir = mkdtempSync(join(tmpdir(), 'sp-portal-restart-'));
const store = join(dir, 'gw.sqlite');
let broker: EmbeddedBroker;
let reader: RfidPortalSim;
const portal = {
  id: 'dock-1', protocol: 'rfid-portal', topic: 'site/dock-1/tags', format: 'impinj', zone: 'dock', outside: [1], inside: [2],
  passGapMs: 2500, dedupeWindowMs: 1200, maxDwellMs: 20_000,
  expected: [{ id: 'PO-7', type: 'receipt', lines: [{ gtin: GTIN, quantity: 40, lot: 'L1' }] }],
};

/** movements in the store (no cloud here: nothing is acknowledged), and the journal left */
function contents(o: SqliteOutbox, source = 'dock-1') {
  const out: OutboxEntry[] = [];
  for (let b = o.nextBatch(10_000); b; b = o.nextBatch(10_000)) { out.push(...b.entries); o.ack(b.seq); }
  return {
    movements: out.flatMap((e) => (e.type === 'movement' ? [e.movement] : [])),
    alerts: out.flatMap((e) => (e.type === 'alert' && e.alert.rule !== 'device_offline' ? [e.alert] : [])),
    journal: o.journal(source).length,
  };
}

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  reader = new RfidPortalSim({ id: 'dock-1', zoneId: 'dock', mqttUrl: broker.url, topic: 'site/dock-1/tags', flavour: 'impinj', clock: systemClock, rng: createRng(5), speed: 4, batch: 4, qos: 1 });
  await reader.start();
});
afterAll(async () => {
  await reader?.stop();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('portal pass across a gateway restart', () => {
  it('a pass still open when the gateway stops is booked once by the next start, from the journal', async () => {
    let o = SqliteOutbox.open(store);
    let { gw } = await startGatewayRig(broker, [portal], o);
    await reader.passPallet(Array.from({ length: 40 }, (_, i) => sgtinFromGtin(GTIN, 7, 100 + i, 2)), 'in');
    await waitFor(() => o.journal('dock-1').length > 40, 'reads journaled');
    await gw.stop(0); // within passGapMs of the last read: the pass is still open
    let c = contents(o);
    expect(c.movements).toEqual([]);
    expect(c.journal).toBeGreaterThan(40);
    o.close();

    o = SqliteOutbox.open(store);
    ({ gw } = await startGatewayRig(broker, [portal], o));
    await waitFor(() => o.journal('dock-1').length === 0, 'the replayed pass booked and its reads cleared', 10_000);
    await gw.stop(0);
    c = contents(o);
    expect(c.movements.map((m) => [m.type, m.quantity, m.lot, m.document])).toEqual([['receipt', 40, 'L1', 'PO-7']]);
    o.close();

    // and a further restart books nothing again
    o = SqliteOutbox.open(store);
    ({ gw } = await startGatewayRig(broker, [portal], o));
    await quietFor(1500, 'the restarted gateway has had time to replay its (empty) journal: nothing may come of it');
    await gw.stop(0);
    expect(contents(o).movements).toEqual([]);
    o.close();
  });

  it('a pallet crossing while the gateway is down is booked when it is back (the broker kept the reports)', async () => {
    // the stop above left the persistent session subscribed: the broker queues the QoS 1 reports
    await reader.passPallet(Array.from({ length: 20 }, (_, i) => sgtinFromGtin(GTIN, 7, 300 + i, 2)), 'in');
    const o = SqliteOutbox.open(store);
    const { gw } = await startGatewayRig(broker, [portal], o);
    await waitFor(() => { const m = contents(o).movements; return m.length ? m : undefined; }, 'the receipt of the pallet that crossed while down', 15_000)
      .then((m) => expect(m.map((x) => [x.type, x.quantity, x.lot])).toEqual([['receipt', 20, 'L1']]));
    await gw.stop(0);
    o.close();
  });
  it('after a restart the journal is matched against the document list the cloud sent last (kept in the store)', async () => {
    const bare = { ...portal, id: 'dock-9', topic: 'site/dock-9/tags', expected: [] };
    const reader9 = new RfidPortalSim({ id: 'dock-9', zoneId: 'dock', mqttUrl: broker.url, topic: 'site/dock-9/tags', flavour: 'impinj', clock: systemClock, rng: createRng(9), speed: 4, batch: 4, qos: 1 });
    await reader9.start();
    const path = join(dir, 'gw9.sqlite');
    let o = SqliteOutbox.open(path);
    let { gw } = await startGatewayRig(broker, [bare], o);
    gw.stock!.setCloudExpected([{ id: 'po:8', type: 'receipt', lines: [{ gtin: GTIN, quantity: 10, lot: 'L8' }] }]); // as the feed does
    await reader9.passPallet(Array.from({ length: 10 }, (_, i) => sgtinFromGtin(GTIN, 7, 500 + i, 2)), 'in');
    await waitFor(() => o.journal('dock-9').length >= 10, 'reads journaled');
    await gw.stop(0);
    o.close();

    // back with no cloud to push anything: the saved list matches the replayed pass
    o = SqliteOutbox.open(path);
    ({ gw } = await startGatewayRig(broker, [bare], o));
    await waitFor(() => o.journal('dock-9').length === 0, 'replayed', 10_000);
    await gw.stop(0);
    const c = contents(o, 'dock-9');
    expect(c.movements.map((m) => [m.type, m.quantity, m.document])).toEqual([['receipt', 10, 'po:8']]);
    expect(c.alerts).toEqual([]);
    o.close();
    await reader9.stop();
  });
});
