import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { sgtinFromGtin } from '../../../protocols/epc/encode.ts';
import { ExpectedDocumentsMessage, expectedDocumentsTopic } from '../../../protocols/uplink/expected-documents.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { RfidPortalSim } from '../../../simulators/devices/rfid-portal.ts';
import { createItem, createLocation, createPartner } from '../../../cloud/inventory/master-data.ts';
import { createLot } from '../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../cloud/inventory/ledger.ts';
import { createSalesOrder, salesOrderAction } from '../../../cloud/inventory/documents/sales-orders.ts';
import { SYSTEM } from '../../../cloud/inventory/model.ts';
import { engineLabel } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { startStockRig, type StockRig } from '../../helpers/stock-devices-rig.ts';

// The other side of the dock door, through real sockets: a picked sales order is pushed down
// as an open shipment and the portal ships it; goods arriving with nothing expected become an
// exception a person resolves; a gateway connecting late gets the open documents at once (retained).

const GTIN = '80614141123458';
const GW = 'gw-ship';
const tuning = { passGapMs: 500, dedupeWindowMs: 1500, maxDwellMs: 5000 };
const cases = (gtin: string, n: number, from: number) => Array.from({ length: n }, (_, i) => sgtinFromGtin(gtin, 7, from + i, 2));

let rig: StockRig;
let portal: RfidPortalSim;
let soId: number;

beforeAll(async () => {
  rig = await startStockRig();
  const db = rig.tdb.db;
  await createLocation(db, { id: 'bakery', kind: 'site', name: 'Bakery' });
  await createLocation(db, { id: 'DOCK', kind: 'zone', parent: 'bakery', name: 'Dock door', iotZone: 'dock' });
  await createItem(db, { sku: 'FLOUR-CASE', gtin: GTIN, name: 'Flour T55, case', unit: 'case', lotTracked: true });
  await createPartner(db, 'customers', { id: 'CAFE', name: 'Corner café' });
  await db.tx((q) => createLot(q, { item: 'FLOUR-CASE', code: 'L1', expiresOn: '2099-01-01' }, SYSTEM));
  await postMovement(db, { kind: 'receipt', item: 'FLOUR-CASE', lot: 'L1', to: 'DOCK', qty: 12 }, SYSTEM);
  const so = await createSalesOrder(db, { customer: 'CAFE', lines: [{ item: 'FLOUR-CASE', qty: 12 }] }, SYSTEM);
  soId = so.id;
  await salesOrderAction(db, so.id, 'reserve', {}, SYSTEM);
  await salesOrderAction(db, so.id, 'pick', {}, SYSTEM);

  portal = new RfidPortalSim({ id: 'dock-1', zoneId: 'dock', mqttUrl: rig.broker.url, topic: 'bakery/dock/reader', flavour: 'zebra', clock: systemClock, rng: createRng(11), speed: 4 });
  await portal.start();
  await rig.startGateway(GW, [
    { id: 'dock-1', protocol: 'rfid-portal', topic: 'bakery/dock/reader', format: 'zebra', zone: 'dock', outside: [1], inside: [2], ...tuning },
  ], ['dock']);
});

afterAll(async () => {
  await portal?.stop();
  await rig?.stop();
});

describe(`dock shipments and exceptions end to end (${engineLabel})`, () => {
  it('a picked sales order is an open shipment at the gateway; its 12 cases leaving → shipped, reservation fulfilled, stock 0', async () => {
    await waitFor(() => rig.gw!.stock!.matcher.expected().find((d) => d.id === `so:${soId}`), 'open shipment pushed down');
    await portal.passPallet(cases(GTIN, 12, 2000), 'out');
    const so = await waitFor(async () => { const d = await rig.api(`/api/sales-orders/${soId}`); return d.status === 'shipped' && d; }, 'sales order shipped by the portal');
    expect(so.data.shipment).toBeGreaterThan(0);
    const stock = (await rig.api<any[]>('/api/stock?item=FLOUR-CASE'))[0];
    expect(stock).toMatchObject({ onHand: 0, reserved: 0 });
    const moves = (await rig.api<any[]>('/api/movements?item=FLOUR-CASE')).filter((m) => m.kind === 'shipment');
    expect(moves).toEqual([expect.objectContaining({ qty: 12, lot: 'L1', from: 'DOCK', sourceRef: `sales_order:${soId}`, actor: 'device:dock-1' })]);
    const [r] = await rig.tdb.db.query<{ status: string }>('SELECT status FROM reservations');
    expect(r!.status).toBe('fulfilled');
    await waitFor(() => rig.gw!.stock!.matcher.expected().length === 0, 'shipped order withdrawn from the gateway');
    expect(await rig.api<any[]>('/api/stock-exceptions')).toEqual([]);
  });

  it('goods in with nothing expected → unexpected_receipt alert and exception; nothing booked', async () => {
    await portal.passPallet(cases(GTIN, 5, 3000), 'in');
    const exc = await waitFor(async () => (await rig.api<any[]>('/api/stock-exceptions')).find((e) => e.kind === 'unexpected_receipt'), 'unexpected receipt exception');
    const alert = (await rig.api<any[]>('/api/alerts?state=all')).find((a) => a.id === exc.alertId);
    expect(alert).toMatchObject({ rule: 'unexpected_receipt', severity: 'warning', value: 5 });
    expect((await rig.api<any[]>('/api/stock?item=FLOUR-CASE'))[0].onHand).toBe(0);
  });

  it('a gateway connecting later gets the open documents at once from the retained topic', async () => {
    // one more open shipment for a second pick, so the list is not empty
    await postMovement(rig.tdb.db, { kind: 'receipt', item: 'FLOUR-CASE', lot: 'L1', to: 'DOCK', qty: 3 }, SYSTEM);
    const so = await createSalesOrder(rig.tdb.db, { customer: 'CAFE', lines: [{ item: 'FLOUR-CASE', qty: 3 }] }, SYSTEM);
    await salesOrderAction(rig.tdb.db, so.id, 'reserve', {}, SYSTEM);
    await salesOrderAction(rig.tdb.db, so.id, 'pick', {}, SYSTEM);
    await waitFor(() => rig.gw!.stock!.matcher.expected().find((d) => d.id === `so:${so.id}`), 'second shipment pushed on change');
    const late = await mqtt.connectAsync(rig.broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const got = new Promise<{ retain: boolean; body: unknown }>((resolve) => late.on('message', (_t, p, packet) => resolve({ retain: packet.retain, body: JSON.parse(p.toString()) })));
      await late.subscribeAsync(expectedDocumentsTopic(GW), { qos: 1 });
      const m = await got;
      expect(m.retain).toBe(true);
      const msg = ExpectedDocumentsMessage.parse(m.body);
      expect(msg.documents).toEqual([{ id: `so:${so.id}`, type: 'shipment', partner: 'CAFE', lines: [{ gtin: GTIN, sku: 'FLOUR-CASE', quantity: 3, received: 0, lot: 'L1' }] }]);
    } finally {
      await late.endAsync();
    }
  });
});
