import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../edge/gateway.ts';
import { OpcUaFridge, OPCUA_FRIDGE_NODES } from '../../../simulators/devices/opcua-fridge.ts';
import { ThermalZone } from '../../../simulators/thermal-model.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { waitFor } from '../../helpers/net.ts';
import { startEmbeddedBroker, startGatewayRig, type EmbeddedBroker, type RecordingOutbox } from './helpers/gateway-rig.ts';

// A fridge controller behind OPC UA (node-opcua server on loopback) feeding the cold-chain
// pipeline; the controller reboots and the readings come back without restarting anything.

let broker: EmbeddedBroker;
let gw: Gateway;
let outbox: RecordingOutbox;
let fridge: OpcUaFridge;

const readingsOf = (sensor: string) => outbox.appended.filter((e) => e.type === 'reading' && e.reading.sensor === sensor).length;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  const zone = new ThermalZone({ setPoint: 4, ambient: 20, coolingTauSec: 600, doorTauSec: 900, failureTauSec: 4 * 3600, clock: systemClock, rng: createRng(7), timeScale: 1 });
  fridge = new OpcUaFridge({ id: 'chiller-ctrl', zoneId: 'chiller', zone, port: 0 });
  await fridge.start();
  ({ gw, outbox } = await startGatewayRig(broker, [{
    id: 'chiller-ctrl', protocol: 'opcua', endpoint: fridge.endpoint, samplingMs: 200,
    points: [
      { sensor: 'chiller-opc-t', zone: 'chiller', kind: 'temperature', nodeId: OPCUA_FRIDGE_NODES.temperature },
      { sensor: 'chiller-opc-sp', zone: 'chiller', kind: 'setpoint', nodeId: OPCUA_FRIDGE_NODES.setpoint },
      { sensor: 'chiller-opc-door', zone: 'chiller', kind: 'door', nodeId: OPCUA_FRIDGE_NODES.door },
      { sensor: 'chiller-opc-comp', zone: 'chiller', kind: 'compressor', nodeId: OPCUA_FRIDGE_NODES.compressor },
    ],
  }]));
});

afterAll(async () => {
  await gw?.stop(0);
  await fridge?.stop();
  await broker?.close();
});

describe('OPC UA fridge controller → readings', () => {
  it('temperature, set point, door and compressor arrive as readings; a controller reboot → readings resume, same driver', async () => {
    await waitFor(() => ['chiller-opc-t', 'chiller-opc-sp', 'chiller-opc-door', 'chiller-opc-comp'].every((s) => readingsOf(s) > 0), 'first readings');
    const t = outbox.appended.find((e) => e.type === 'reading' && e.reading.sensor === 'chiller-opc-t');
    expect(t).toMatchObject({ reading: { kind: 'temperature', quality: 'good', value: expect.closeTo(4, 0) } });
    expect(outbox.appended.find((e) => e.type === 'reading' && e.reading.sensor === 'chiller-opc-sp')).toMatchObject({ reading: { kind: 'setpoint', value: 4 } });

    await fridge.stop();
    await waitFor(() => gw.stock?.deviceStatuses()['chiller-ctrl']?.state === 'failed', 'driver notices the server is gone');
    const before = readingsOf('chiller-opc-t');
    await fridge.start(); // same port: the controller came back
    await waitFor(() => readingsOf('chiller-opc-t') > before + 2, 'readings resume after the reboot', 20_000);
    const st = gw.stock!.deviceStatuses()['chiller-ctrl']!;
    expect(st.state).toBe('running');
    expect(st.reconnects).toBeGreaterThanOrEqual(1);
  }, 45_000);
});
