import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { encodeValue } from '../../../protocols/modbus/register-map.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { Gateway } from '../../../edge/gateway.ts';
import { MemoryOutbox } from '../../../edge/outbox/memory-outbox.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { ModbusRtuBusSim } from '../../../simulators/devices/modbus-rtu-bus.ts';
import { hasSocat } from '../../../simulators/devices/pty-pair.ts';
import { waitFor } from '../../helpers/net.ts';

// Modbus RTU through a real tty (socat pty pair, real RTU framing and CRC): three controllers
// on one RS-485 line, one of them dead. The live two keep reporting while the dead one is
// marked failed with a coded error; it recovers when it answers again; and a line unplugged
// and plugged back in resumes without restarting the gateway.

const socat = hasSocat();
if (!socat) console.log('tests/edge/devices/gateway-rtu skipped: socat is not installed (apt-get install socat); .ci/run installs it');

const dir = mkdtempSync(join(tmpdir(), 'sp-rtu-'));
const bus = new ModbusRtuBusSim(dir);
let broker: EmbeddedBroker;
let gw: Gateway;
const readings: { sensor: string; value: number }[] = [];
const temps: Record<number, number> = { 1: 3.5, 2: -19.25, 3: 4 };
const regsOf = (unit: number) => () => [...encodeValue(temps[unit]!, { address: 0, type: 'float32', wordOrder: 'big' }), Math.round(temps[unit]! * 10) & 0xffff];

beforeAll(async () => {
  if (!socat) return;
  for (const unit of [1, 2, 3]) bus.slaves.set(unit, { registers: regsOf(unit), silent: unit === 3 });
  await bus.start();
  broker = await startEmbeddedBroker({ port: 0 });
  const device = (id: string, unitId: number, zone: string) => ({
    id, protocol: 'modbus-rtu', path: bus.hostPath, baudRate: 9600, parity: 'none', unitId, pollMs: 200, timeoutMs: 150, heartbeatSec: 1,
    points: [
      { sensor: `${id}-t`, zone, kind: 'temperature', register: { address: 0, type: 'float32', wordOrder: 'big' } },
      { sensor: `${id}-t10`, zone, kind: 'temperature', register: { address: 2, type: 'int16', scale: 0.1 } },
    ],
  });
  const config = parseEdgeConfig({
    gateway: { id: 'gw-rtu', site: 'site-rtu' },
    deviceBroker: { url: broker.url }, uplink: { url: broker.url },
    zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 } }, { id: 'freezer', name: 'Freezer', profile: { high: -18 } }],
    devices: [device('ctl-1', 1, 'chiller'), device('ctl-2', 2, 'freezer'), device('ctl-3', 3, 'chiller')],
  }, {});
  gw = new Gateway({ config, log: pino({ level: 'silent' }), outbox: new MemoryOutbox(), deadLetters: new MemoryDeadLetters() });
  gw.readings.subscribe((r) => readings.push({ sensor: r.sensor, value: r.value }));
  await gw.start();
});

afterAll(async () => {
  await gw?.stop(0);
  await broker?.close();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (sensor: string) => readings.filter((r) => r.sensor === sensor).length;

describe.skipIf(!socat)('Modbus RTU on a shared serial line', () => {
  it('reads every live slave, decodes its registers, and marks the dead one failed with a coded error', async () => {
    await waitFor(() => count('ctl-1-t') >= 3 && count('ctl-2-t') >= 3 && gw.status().devices['ctl-3']?.state === 'failed', 'both live slaves read and the dead one failed', 10_000);
    expect(readings.find((r) => r.sensor === 'ctl-1-t')!.value).toBeCloseTo(3.5, 5);
    expect(readings.find((r) => r.sensor === 'ctl-2-t')!.value).toBeCloseTo(-19.25, 5);
    expect(readings.find((r) => r.sensor === 'ctl-2-t10')!.value).toBeCloseTo(-19.2, 5); // tenths register: the simulated controller rounds -192.5 to -192
    const dead = gw.status().devices['ctl-3']!;
    expect(dead.lastError).toMatchObject({ code: 'SP_ERR_DEVICE' });
    expect(dead.lastError!.message).toMatch(/unit 3: no answer within 150 ms/);
    expect(count('ctl-3-t')).toBe(0);
    expect(gw.status().devices['ctl-1']!.state).toBe('running');
  });

  it('a dead slave on backoff does not starve the live ones', async () => {
    const a = count('ctl-1-t');
    // 200 ms poll over 2 s ≈ 10 polls; the dead slave's timeouts may cost a few, never most: 6
    // fresh values of the live slave within the 2 s window
    await waitFor(() => count('ctl-1-t') - a >= 6, 'six polls of the live slave within 2 s, the dead one on backoff', 2000);
  });

  it('the dead slave recovers by itself once it answers again', async () => {
    bus.slaves.get(3)!.silent = false;
    await waitFor(() => count('ctl-3-t') >= 1 && gw.status().devices['ctl-3']?.state === 'running', 'slave 3 back', 35_000);
    expect(readings.find((r) => r.sensor === 'ctl-3-t')!.value).toBeCloseTo(4, 5);
  });

  it('a line unplugged and plugged back in resumes without restarting the gateway', async () => {
    await bus.unplug();
    await waitFor(() => ['ctl-1', 'ctl-2'].every((id) => gw.status().devices[id]?.state === 'failed'), 'every slave failed with the line unplugged', 10_000);
    temps[1] = 5.25;
    await bus.start();
    await waitFor(() => readings.some((r) => r.sensor === 'ctl-1-t' && Math.abs(r.value - 5.25) < 1e-6), 'a fresh value after the line is back', 35_000);
    expect(gw.status().devices['ctl-1']!.state).toBe('running');
  });
});
