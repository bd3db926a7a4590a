import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ModbusSerial from 'modbus-serial';
import { ManualClock } from '../../simulators/clock.ts';
import { startScenario, type ScenarioHandle } from '../../simulators/scenario-runner.ts';
import { MODBUS_TEMPERATURE_POINTS } from '../../simulators/devices/modbus-temperature.ts';
import { decodeRegisters } from '../../protocols/modbus/register-map.ts';
import { startBroker, type TestBroker } from '../helpers/simulators.ts';

// The freezer controller answers a real modbus-serial master over TCP.

// modbus-serial is CommonJS; `.default` is the client class under both NodeNext types and Node ESM
const ModbusRTU = ModbusSerial.default;

const HOUR = 3_600_000;
let broker: TestBroker;
let sim: ScenarioHandle;
let master: InstanceType<typeof ModbusRTU>;
const clock = new ManualClock();

async function read(addr = 0, n = 4): Promise<number[]> {
  return (await master.readHoldingRegisters(addr, n)).data;
}

beforeAll(async () => {
  broker = await startBroker();
  sim = await startScenario('bakery', { mqttUrl: broker.url, modbusPort: 0, publishMs: 1000, clock, seed: 3 });
  master = new ModbusRTU();
  await master.connectTCP('127.0.0.1', { port: sim.modbusPort! });
  master.setID(1);
  master.setTimeout(500);
});

afterAll(async () => {
  await new Promise<void>((resolve) => (master?.isOpen ? master.close(() => resolve()) : resolve()));
  await sim?.stop();
  await broker?.close();
});

describe('freezer-ctrl over Modbus TCP', () => {
  it('listens on the port it reports', () => {
    expect(sim.modbusPort).toBeGreaterThan(0);
    expect(sim.status().devices.find((d) => d.id === 'freezer-ctrl')!.endpoint).toBe(`modbus-tcp 127.0.0.1:${sim.modbusPort} unit 1`);
  });

  it('holds the temperature as float32 (0–1) and int16 tenths (2), status bits in 3', async () => {
    const regs = await read();
    expect(regs).toHaveLength(4);
    const t = decodeRegisters(regs.slice(0, 2), MODBUS_TEMPERATURE_POINTS.float);
    const tenths = decodeRegisters(regs.slice(2, 3), MODBUS_TEMPERATURE_POINTS.tenths);
    expect(t).toBeGreaterThan(-22.5);
    expect(t).toBeLessThan(-19.5);
    expect(Math.abs(tenths - t)).toBeLessThanOrEqual(0.051);
    expect(regs[3]! & 1).toBe(1); // compressor running
    expect(regs[3]! & 2).toBe(0); // door closed
  });

  it('reads registers one at a time too, and refuses addresses past 3', async () => {
    expect(await read(3, 1)).toEqual([1]);
    await expect(read(2, 4)).rejects.toMatchObject({ modbusCode: 2 });
  });

  it('sets the door bit while the door is open', async () => {
    sim.setFault('freezer', 'door_open', true);
    expect((await read(3, 1))[0]! & 2).toBe(2);
    sim.setFault('freezer', 'door_open', false);
    expect((await read(3, 1))[0]! & 2).toBe(0);
  });

  it('compressor_failure: an hour later the controller reads above −18 °C with the compressor bit off', async () => {
    sim.setFault('freezer-ctrl', 'compressor_failure', true);
    clock.advance(2 * HOUR);
    const regs = await read();
    expect(decodeRegisters(regs.slice(0, 2), MODBUS_TEMPERATURE_POINTS.float)).toBeGreaterThan(-18);
    expect(regs[3]! & 1).toBe(0);
    sim.setFault('freezer', 'compressor_failure', false);
  });

  it('garbage answers NaN (0x7FC0 0x0000), which the decoder rejects with a code', async () => {
    sim.setFault('freezer-ctrl', 'garbage', true);
    const regs = await read();
    expect(regs.slice(0, 2)).toEqual([0x7fc0, 0x0000]);
    expect(() => decodeRegisters(regs.slice(0, 2), MODBUS_TEMPERATURE_POINTS.float)).toThrow(expect.objectContaining({ code: 'SP_ERR_MODBUS_REGISTERS' }));
    sim.setFault('freezer-ctrl', 'garbage', false);
    expect(Number.isFinite(decodeRegisters((await read()).slice(0, 2), MODBUS_TEMPERATURE_POINTS.float))).toBe(true);
  });

  it('dropout: the controller stops answering (master times out), and answers again once cleared', async () => {
    sim.setFault('freezer-ctrl', 'dropout', true);
    await expect(read()).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    sim.setFault('freezer-ctrl', 'dropout', false);
    expect(await read()).toHaveLength(4);
  });
});
