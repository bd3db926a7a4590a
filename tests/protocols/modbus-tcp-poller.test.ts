import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTcpPoller, type ModbusTcpPollDevice } from '../../edge/devices/modbus/tcp-poller.ts';
import { encodeValue } from '../../protocols/modbus/register-map.ts';
import type { Reading } from '../../protocols/reading.ts';
import type { SpError } from '../../protocols/errors.ts';
import { freePort, startDeadSlave, startSlave } from './helpers/modbus-slaves.ts';
import { waitFor } from '../helpers/net.ts';

const until = (pred: () => boolean, what: string) => waitFor(pred, what, 8000, 20);

// Real sockets on 127.0.0.1: modbus-serial's ServerTCP as the healthy slave, a silent TCP
// server as the dead one, and a port with nothing listening.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function regs(start: number, values: number[]): Record<number, number> {
  return Object.fromEntries(values.map((v, i) => [start + i, v]));
}

function collect() {
  const readings: (Reading & { device: string })[] = [];
  const errors: { device: string; err: SpError; sensor?: string }[] = [];
  return {
    readings, errors,
    onReading: (r: Reading, device: string) => { readings.push({ ...r, device }); },
    onError: (device: string, err: SpError, sensor?: string) => { errors.push({ device, err, sensor }); },
  };
}

const fast = { pollMs: 50, timeoutMs: 300 };

describe('ModbusTcpPoller', () => {
  it('reads a controller\'s defrost output as a coil, a discrete input or a status-word bit (1/0)', async () => {
    const slave = await startSlave({ holding: { 3: 0b0101 }, coils: { 0: false, 1: true, 2: false }, discrete: { 7: true } });
    cleanups.push(slave.close);
    const c = collect();
    const poller = new ModbusTcpPoller({
      devices: [{
        id: 'ctrl', host: '127.0.0.1', port: slave.port, unitId: 1, ...fast, points: [
          { sensor: 'coil-defrost', kind: 'defrost', register: { address: 1, area: 'coil', type: 'bool' } },
          { sensor: 'di-defrost', kind: 'defrost', register: { address: 7, area: 'discrete', type: 'bool' } },
          { sensor: 'bit-defrost', kind: 'defrost', register: { address: 3, type: 'uint16', bit: 2 } },
          { sensor: 'bit-door', kind: 'door', register: { address: 3, type: 'uint16', bit: 1 } },
        ],
      }],
      ...c,
    });
    cleanups.push(() => poller.stop());
    await poller.start();
    await until(() => c.readings.some((r) => r.sensor === 'di-defrost'), 'one poll cycle');
    slave.coils.set(1, false);
    await until(() => c.readings.some((r) => r.sensor === 'coil-defrost' && r.value === 0), 'the defrost coil off');
    await poller.stop();
    const values = (s: string) => c.readings.filter((r) => r.sensor === s).map((r) => r.value);
    expect(values('coil-defrost')[0]).toBe(1);
    expect(values('coil-defrost').at(-1)).toBe(0);
    expect(new Set(values('di-defrost'))).toEqual(new Set([1]));
    expect(new Set(values('bit-defrost'))).toEqual(new Set([1]));
    expect(new Set(values('bit-door'))).toEqual(new Set([0]));
    expect(c.errors).toEqual([]);
  });

  it('a coil must be type bool; bit needs a 16-bit register', () => {
    const poller = (register: Record<string, unknown>) => () => new ModbusTcpPoller({
      devices: [{ id: 'd', host: '127.0.0.1', port: 1502, unitId: 1, pollMs: 100, timeoutMs: 100,
        points: [{ sensor: 'a', kind: 'defrost', register: register as { address: number; type: 'bool' } }] }],
      onReading: () => {}, onError: () => {},
    });
    expect(poller({ address: 0, area: 'coil', type: 'uint16' })).toThrow(expect.objectContaining({
      code: 'SP_ERR_MODBUS_MAP', details: [{ field: 'type', reason: 'a coil holds one bit: use type bool' }] }));
    expect(poller({ address: 0, type: 'float32', bit: 3 })).toThrow(expect.objectContaining({
      code: 'SP_ERR_MODBUS_MAP', details: [{ field: 'bit', reason: 'bit picks a bit of one 16-bit register: use type uint16' }] }));
  });

  it('reads float32/int16/uint16 points in few requests and decodes them', async () => {
    const slave = await startSlave({
      holding: {
        ...regs(0, encodeValue(4.25, { address: 0, type: 'float32' })),          // chiller temperature
        ...regs(2, encodeValue(-18.5, { address: 2, type: 'int16', scale: 0.1 })), // freezer, tenths of °C
        3: 0,                                                                       // status word, unused here
        ...regs(4, [0x7fc0, 0x0000]),                                              // float32 NaN: probe fault
      },
      input: regs(10, encodeValue(12.345, { address: 10, type: 'float32', wordOrder: 'little' })),
    });
    cleanups.push(slave.close);
    const c = collect();
    const dev: ModbusTcpPollDevice = {
      id: 'plc1', host: '127.0.0.1', port: slave.port, unitId: 1, ...fast,
      points: [
        { sensor: 'chiller', kind: 'temperature', register: { address: 0, type: 'float32' } },
        { sensor: 'freezer', kind: 'temperature', register: { address: 2, type: 'int16', scale: 0.1 } },
        { sensor: 'probe', kind: 'temperature', register: { address: 4, type: 'float32' } },
        { sensor: 'scale', kind: 'weight', register: { address: 10, area: 'input', type: 'float32', wordOrder: 'little' } },
      ],
    };
    const poller = new ModbusTcpPoller({ devices: [dev], ...c });
    cleanups.push(() => poller.stop());
    await poller.start();
    await until(() => c.readings.filter((r) => r.sensor === 'scale').length >= 2, 'two poll cycles');
    await poller.stop();

    const latest = (s: string) => c.readings.filter((r) => r.sensor === s).at(-1)!;
    expect(latest('chiller')).toMatchObject({ kind: 'temperature', value: 4.25, quality: 'good', device: 'plc1' });
    expect(latest('freezer').value).toBeCloseTo(-18.5, 6);
    expect(latest('scale')).toMatchObject({ kind: 'weight' });
    expect(latest('scale').value).toBeCloseTo(12.345, 3);
    // the NaN point is a coded error for that point only; the others still delivered
    expect(c.readings.some((r) => r.sensor === 'probe')).toBe(false);
    const probeErr = c.errors.find((e) => e.sensor === 'probe')!;
    expect(probeErr.err.code).toBe('SP_ERR_MODBUS_REGISTERS');
    expect(probeErr.err.details[0]!.field).toBe('probe.registers');
    expect(poller.deviceStatus('plc1')).toMatchObject({ state: 'stopped', failures: 0 });
    // one request for holding 0..5, one for input 10..11, per cycle
    const firstCycle = slave.requests.slice(0, 2);
    expect(firstCycle).toEqual([
      { area: 'holding', address: 0, count: 6 },
      { area: 'input', address: 10, count: 2 },
    ]);
  });

  it('a request hitting an unmapped gap falls back to per-point reads; a refused point fails alone', async () => {
    const slave = await startSlave({ holding: { 0: 215, 3: 7 } }); // 1 and 2 unmapped, 500 too
    cleanups.push(slave.close);
    const c = collect();
    const poller = new ModbusTcpPoller({
      devices: [{
        id: 'd', host: '127.0.0.1', port: slave.port, unitId: 1, ...fast,
        points: [
          { sensor: 'ok', kind: 'temperature', register: { address: 0, type: 'int16', scale: 0.1 } },
          { sensor: 'near', kind: 'temperature', register: { address: 3, type: 'int16' } },
          { sensor: 'unmapped', kind: 'temperature', register: { address: 500, type: 'int16' } },
        ],
      }],
      ...c,
    });
    cleanups.push(() => poller.stop());
    await poller.start();
    await until(() => c.readings.length >= 4 && c.errors.length >= 2, 'two cycles');
    expect(c.readings.slice(0, 2)).toMatchObject([{ sensor: 'ok', value: 21.5 }, { sensor: 'near', value: 7 }]);
    expect(c.errors.every((e) => e.device === 'd' && e.sensor === 'unmapped')).toBe(true);
    expect(c.errors[0]!.err.details[0]!.reason).toMatch(/exception 2 \(illegal data address\)/);
    // 0..3 in one request was refused (gap), then each point alone; later cycles skip the merged try
    expect(slave.requests.slice(0, 4)).toEqual([
      { area: 'holding', address: 0, count: 4 },
      { area: 'holding', address: 0, count: 1 },
      { area: 'holding', address: 3, count: 1 },
      { area: 'holding', address: 500, count: 1 },
    ]);
    expect(slave.requests.slice(4, 7)).toEqual(slave.requests.slice(1, 4));
    expect(poller.deviceStatus('d')!.state).toBe('running');
  });

  it('a dead slave and a refused port never stall a healthy device; a device coming back is picked up', async () => {
    const healthy = await startSlave({ holding: regs(0, encodeValue(3.5, { address: 0, type: 'float32' })) });
    const dead = await startDeadSlave();
    const laterPort = await freePort(); // nothing listens here yet
    cleanups.push(healthy.close, dead.close);
    const c = collect();
    const point = (sensor: string) => [{ sensor, kind: 'temperature' as const, register: { address: 0, type: 'float32' as const } }];
    const poller = new ModbusTcpPoller({
      devices: [
        { id: 'healthy', host: '127.0.0.1', port: healthy.port, unitId: 1, ...fast, points: point('h') },
        { id: 'dead', host: '127.0.0.1', port: dead.port, unitId: 1, ...fast, points: point('d') },
        { id: 'later', host: '127.0.0.1', port: laterPort, unitId: 1, ...fast, points: point('l') },
      ],
      backoff: { baseMs: 50, maxMs: 200 },
      ...c,
    });
    cleanups.push(() => poller.stop());
    await poller.start();

    // the dead slave fails by timeout, the empty port by refusal — while the healthy one keeps delivering
    await until(() => poller.deviceStatus('dead')!.state === 'failed' && poller.deviceStatus('later')!.state === 'failed', 'both failing');
    const before = c.readings.filter((r) => r.sensor === 'h').length;
    await until(() => c.readings.filter((r) => r.sensor === 'h').length >= before + 5, 'healthy keeps polling during failures');
    await until(() => (poller.deviceStatus('dead')!.failures ?? 0) >= 2, 'dead retried');
    expect(poller.deviceStatus('healthy')).toMatchObject({ state: 'running', failures: 0 });
    expect(poller.status().state).toBe('running');

    const deadErr = c.errors.find((e) => e.device === 'dead')!;
    expect(deadErr.err.code).toBe('SP_ERR_DEVICE');
    expect(deadErr.sensor).toBeUndefined();
    expect(deadErr.err.details[0]).toMatchObject({ field: 'devices.dead', reason: expect.stringMatching(/no answer within 300 ms/) });
    const laterErr = c.errors.find((e) => e.device === 'later')!;
    expect(laterErr.err.details[0]!.reason).toMatch(/connection refused/);
    expect(poller.deviceStatus('later')!.lastError?.code).toBe('SP_ERR_DEVICE');
    expect(c.readings.some((r) => r.sensor === 'd' || r.sensor === 'l')).toBe(false);

    // the third device comes online: it is picked up without restarting anything
    const late = await startSlave({ holding: regs(0, encodeValue(-20, { address: 0, type: 'float32' })) }, laterPort);
    cleanups.push(late.close);
    await until(() => c.readings.some((r) => r.sensor === 'l'), 'late device delivers');
    expect(c.readings.find((r) => r.sensor === 'l')!.value).toBe(-20);
    await until(() => poller.deviceStatus('later')!.state === 'running', 'late device running');
    expect(poller.deviceStatus('later')).toMatchObject({ failures: 0 });
    expect(poller.deviceStatus('dead')!.state).toBe('failed');
  });

  it('reconnects after the slave drops the connection, and counts it', async () => {
    const port = await freePort();
    let slave = await startSlave({ holding: regs(0, [100]) }, port);
    const c = collect();
    const poller = new ModbusTcpPoller({
      devices: [{ id: 'd', host: '127.0.0.1', port, unitId: 1, ...fast, points: [{ sensor: 's', kind: 'weight', register: { address: 0, type: 'uint16' } }] }],
      backoff: { baseMs: 50, maxMs: 200 },
      ...c,
    });
    cleanups.push(() => poller.stop());
    await poller.start();
    await until(() => c.readings.length >= 1, 'first reading');
    await slave.close();
    slave = await startSlave({ holding: regs(0, [200]) }, port);
    cleanups.push(() => slave.close());
    await until(() => c.readings.some((r) => r.value === 200), 'reading after restart');
    expect(poller.deviceStatus('d')!.reconnects).toBeGreaterThanOrEqual(1);
    expect(poller.deviceStatus('d')!.state).toBe('running');
  });

  it('stop() ends promptly while requests are pending, and leaves nothing running', async () => {
    const dead = await startDeadSlave();
    cleanups.push(dead.close);
    const poller = new ModbusTcpPoller({
      devices: [{ id: 'd', host: '127.0.0.1', port: dead.port, unitId: 1, pollMs: 1000, timeoutMs: 20_000, points: [{ sensor: 's', kind: 'weight', register: { address: 0, type: 'uint16' } }] }],
      onReading: () => {},
    });
    await poller.start();
    await until(() => dead.connections() === 1, 'connected, request pending for up to 20 s');
    await poller.stop(); // would hang the test (30 s limit) if stop waited for the request
    expect(poller.status().state).toBe('stopped');
    expect(poller.deviceStatus('d')!.state).toBe('stopped');
    await until(() => dead.connections() === 0, 'socket closed by stop()');
    await poller.stop(); // twice is fine
  });

  it('rejects a bad register map at construction', () => {
    expect(() => new ModbusTcpPoller({
      devices: [{ id: 'd', host: '127.0.0.1', port: 1502, unitId: 1, pollMs: 100, timeoutMs: 100, points: [{ sensor: 's', kind: 'weight', register: { address: 0, type: 'int24' as 'int16' } }] }],
      onReading: () => {},
    })).toThrow(expect.objectContaining({ code: 'SP_ERR_MODBUS_MAP' }));
  });
});
