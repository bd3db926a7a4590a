import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../edge/outbox/sqlite-outbox.ts';
import type { OutboxEntry } from '../../edge/uplink/outbox.ts';
import { sgtinFromGtin } from '../../protocols/epc/encode.ts';
import { systemClock } from '../../simulators/clock.ts';
import { createRng } from '../../simulators/random.ts';
import { RfidPortalSim } from '../../simulators/devices/rfid-portal.ts';
import { waitFor } from '../helpers/net.ts';
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
function contents(o: SqliteOutbox) {
  const out: OutboxEntry[] = [];
  for (let b = o.nextBatch(10_000); b; b = o.nextBatch(10_000)) { out.push(...b.entries); o.ack(b.seq); }
  return { movements: out.flatMap((e) => (e.type === 'movement' ? [e.movement] : [])), journal: o.journal('dock-1').length };
}

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  reader = new RfidPortalSim({ id: 'dock-1', zoneId: 'dock', mqttUrl: broker.url, topic: 'site/dock-1/tags', flavour: 'impinj', clock: systemClock, rng: createRng(5), speed: 4, batch: 4 });
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
    await new Promise((r) => setTimeout(r, 1500));
    await gw.stop(0);
    expect(contents(o).movements).toEqual([]);
    o.close();
  });
});
