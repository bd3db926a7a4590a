import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../simulators/clock.ts';
import { createRng } from '../../simulators/random.ts';
import { ModbusScaleSim } from '../../simulators/devices/modbus-scale.ts';
import { ScaleModel } from '../../simulators/devices/scale-model.ts';
import { createItem, createLocation } from '../../cloud/inventory/master-data.ts';
import { postMovement } from '../../cloud/inventory/ledger.ts';
import { SYSTEM } from '../../cloud/inventory/model.ts';
import { engineLabel } from '../helpers/db.ts';
import { waitFor } from '../helpers/net.ts';
import { startStockRig, type StockRig } from '../helpers/stock-devices-rig.ts';

// Issue #11, "device shipments take the same path", replayed through every real hop: a simulated
// Modbus TCP bench scale → the real edge Gateway → aedes → the cloud's MQTT ingest → the ledger.
// 10 pieces on the bench, all 10 reserved for a customer; someone takes 3 off the scale. The
// consumption the gateway reports must not take promised stock: it becomes a stock exception for
// a person, the ledger and the holds do not move, and the site's stream goes on.

let rig: StockRig;
let bench: ModbusScaleSim;
let benchModel: ScaleModel;

const stockOf = async (item: string) => (await rig.api<any[]>(`/api/stock?item=${item}`))[0];

beforeAll(async () => {
  rig = await startStockRig();
  const db = rig.tdb.db;
  await createLocation(db, { id: 'bakery', kind: 'site', name: 'Bakery' });
  await createLocation(db, { id: 'BAKEHOUSE', kind: 'zone', parent: 'bakery', name: 'Bakehouse', iotZone: 'bakehouse' });
  await createLocation(db, { id: 'B-07', kind: 'bin', parent: 'BAKEHOUSE', name: 'Bench bin 7' });
  await createItem(db, { sku: 'BUTTER-250', name: 'Butter 250 g', unit: 'pcs', pieceWeight: 0.25 });
  await postMovement(db, { kind: 'receipt', item: 'BUTTER-250', to: 'B-07', qty: 10 }, SYSTEM);
  await rig.api('/api/reservations', { method: 'POST', body: { item: 'BUTTER-250', qty: 10, ttl: 3600, ref: 'order 4711' }, status: 201 });

  benchModel = new ScaleModel({ clock: systemClock, rng: createRng(5), initialKg: 2.5, noiseKg: 0.0005 });
  bench = new ModbusScaleSim({ id: 'bench', zoneId: 'bakehouse', host: '127.0.0.1', port: 0, unitId: 1, model: benchModel });
  await bench.start();
  await rig.startGateway('gw-bench', [{
    id: 'bench', protocol: 'modbus-scale', host: '127.0.0.1', port: bench.listenPort, pollMs: 100, timeoutMs: 500,
    points: [{ sensor: 'bench-weight', zone: 'bakehouse', kind: 'weight' }],
    weighing: { item: { sku: 'BUTTER-250' }, bin: 'B-07', pieceWeightKg: 0.25, stableMinMs: 600, countEveryMs: 1000 },
  }], ['bakehouse']);
});

afterAll(async () => {
  await bench?.stop();
  await rig?.stop();
});

describe(`a device consumption of reserved stock, end to end (${engineLabel})`, () => {
  it('3 pieces off a bench whose 10 are all reserved → an open stock exception naming the holds; ledger and holds unchanged; the stream goes on', async () => {
    await waitFor(async () => (await rig.api<any[]>('/api/bin-weighings')).find((w) => w.location === 'B-07' && w.weighed === 10), 'baseline weighing of 10');
    expect(await stockOf('BUTTER-250')).toMatchObject({ onHand: 10, reserved: 10, available: 0 });

    benchModel.load(-3 * 0.25, { swings: 2, periodMs: 500, amplitudeKg: 0.5 });
    const exc = await waitFor(async () => (await rig.api<any[]>('/api/stock-exceptions')).find((e) => e.kind === 'unposted_movement'), 'stock exception for the refused consumption', 30_000);
    expect(exc).toMatchObject({ gateway: 'gw-bench', device: 'bench', state: 'open' });
    expect(exc.message).toMatch(/^consumption of 3 pcs BUTTER-250 from bench was not booked: reserved stock: BUTTER-250 has 0 available and 10 reserved/);
    const [event] = await rig.tdb.db.query<{ outcome: string }>(`SELECT outcome FROM device_movements WHERE gateway = 'gw-bench' AND type = 'consumption'`);
    expect(event!.outcome).toBe('exception');

    // nothing was booked and nothing was released
    expect((await rig.api<any[]>('/api/movements?item=BUTTER-250')).filter((m) => m.actor.startsWith('device:'))).toEqual([]);
    expect(await stockOf('BUTTER-250')).toMatchObject({ onHand: 10, reserved: 10 });
    const [hold] = await rig.api<any[]>('/api/reservations?item=BUTTER-250');
    expect(hold).toMatchObject({ status: 'active', qty: 10, consumed: 0 });

    // the batch was acked, not stuck: later weighings keep arriving and show the shelf against the ledger
    const later = await waitFor(async () => (await rig.api<any[]>('/api/bin-weighings')).find((w) => w.location === 'B-07' && w.weighed === 7), 'a later weighing of 7');
    expect(later).toMatchObject({ ledger: 10 });
  });
});
