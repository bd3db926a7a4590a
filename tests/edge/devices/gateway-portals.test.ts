import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../edge/gateway.ts';
import { sgtinFromGtin } from '../../../protocols/epc/encode.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { waitFor } from '../../helpers/net.ts';
import { pace, quietFor, unchangedFor } from '../../helpers/pause.ts';
import { startEmbeddedBroker, startGatewayRig, type EmbeddedBroker, type RecordingOutbox } from './helpers/gateway-rig.ts';
import { RfidPortalSim } from '../../../simulators/devices/rfid-portal.ts';

// Dock portals through real sockets: simulated Impinj and Zebra readers publish on a real broker,
// the real Gateway turns their reports into passes, receipts and exceptions in its outbox.

const GTIN = '80614141123458';
const pallet = (n: number, from: number) => Array.from({ length: n }, (_, i) => sgtinFromGtin(GTIN, 7, from + i, 2));

let broker: EmbeddedBroker;
let gw: Gateway;
let outbox: RecordingOutbox;
let impinj: RfidPortalSim;
let zebra: RfidPortalSim;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  const rng = createRng(42);
  impinj = new RfidPortalSim({ id: 'dock-1', zoneId: 'dock', mqttUrl: broker.url, topic: 'site/dock-1/tags', flavour: 'impinj', clock: systemClock, rng, speed: 4, batch: 4 });
  zebra = new RfidPortalSim({ id: 'dock-2', zoneId: 'dock', mqttUrl: broker.url, topic: 'site/dock-2/tags', flavour: 'zebra', clock: systemClock, rng, speed: 4, outsideAntenna: 3, insideAntenna: 4 });
  await Promise.all([impinj.start(), zebra.start()]);
  const tuning = { passGapMs: 500, dedupeWindowMs: 1200, maxDwellMs: 2000 };
  ({ gw, outbox } = await startGatewayRig(broker, [
    {
      id: 'dock-1', protocol: 'rfid-portal', topic: 'site/dock-1/tags', format: 'impinj', zone: 'dock', outside: [1], inside: [2], ...tuning,
      expected: [{ id: 'PO-2025-0042', type: 'receipt', lines: [{ gtin: GTIN, quantity: 40, lot: 'L2503A' }] }],
    },
    {
      id: 'dock-2', protocol: 'rfid-portal', topic: 'site/dock-2/tags', format: 'zebra', zone: 'dock', outside: [3], inside: [4], ...tuning,
      expected: [{ id: 'ASN-77', type: 'receipt', portal: 'dock-2', lines: [{ gtin: GTIN, quantity: 12, lot: 'L2503B' }] }],
    },
  ]));
});

afterAll(async () => {
  await gw?.stop(0);
  await Promise.allSettled([impinj?.stop(), zebra?.stop()]);
  await broker?.close();
});

describe('dock portals → receipts and exceptions (real broker)', () => {
  it('40 cases through the Impinj dock portal against PO-2025-0042 → one receipt of +40 (GTIN, lot); leaving with no shipment → one unauthorised_removal', async () => {
    const cases = pallet(40, 1000);
    await impinj.passPallet(cases, 'in');
    const [receipt] = await waitFor(() => { const m = outbox.movements('dock-1'); return m.length ? m : undefined; }, 'receipt movement');
    expect(receipt).toMatchObject({ type: 'receipt', item: { gtin: GTIN }, quantity: 40, lot: 'L2503A', document: 'PO-2025-0042', location: { zone: 'dock' } });

    await quietFor(1300, 'past the 1.2 s dedupe window: the same cases read again are a new pass');
    await impinj.passPallet(cases, 'out');
    const [alert] = await waitFor(() => { const a = outbox.alerts().filter((x) => x.rule === 'unauthorised_removal'); return a.length ? a : undefined; }, 'unauthorised removal');
    expect(alert).toMatchObject({ rule: 'unauthorised_removal', transition: 'raised', zone: 'dock', sensor: 'dock-1', value: 40 });
    for (const epc of cases) expect(alert!.message).toContain(epc);
    await unchangedFor(700, () => [outbox.movements('dock-1').length, outbox.alerts().length], 'the dock-1 movements and alerts (nothing more trickles in)');
    expect(outbox.movements('dock-1')).toHaveLength(1);
    expect(outbox.alerts().filter((x) => x.rule === 'unauthorised_removal')).toHaveLength(1);
  });

  it('Zebra portal: a pallet in among stray reads, the neighbour door and a tag lying in the field → exactly one receipt', async () => {
    const cases = pallet(12, 5000);
    const lying = sgtinFromGtin(GTIN, 7, 9999, 2);
    await Promise.all([
      zebra.lyingTag(lying, 5000),
      zebra.neighbour(pallet(6, 7000), 2000),
      // the door's script: 2.5 s into the lying tag and the neighbour's reads, a stray, then the pallet
      (async () => { await pace(2500); await zebra.stray(sgtinFromGtin(GTIN, 7, 8888, 2)); await zebra.passPallet(cases, 'in'); })(),
    ]);
    const mv = await waitFor(() => { const m = outbox.movements('dock-2'); return m.length ? m : undefined; }, 'zebra receipt', 10_000);
    expect(mv).toHaveLength(1);
    expect(mv[0]).toMatchObject({ type: 'receipt', quantity: 12, lot: 'L2503B', document: 'ASN-77' });
    expect(mv[0]!.evidence.epcs).toEqual([...cases].sort());
    expect(outbox.alerts().filter((a) => a.sensor === 'dock-2')).toEqual([]);
  });
});
