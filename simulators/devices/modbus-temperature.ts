import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { encodeValue } from '../../protocols/modbus/register-map.ts';
import type { RegisterPointInput } from '../../protocols/modbus/register-map.schema.ts';
import { SpError } from '../../protocols/errors.ts';
import type { ThermalZone } from '../thermal-model.ts';
import type { DeviceFault } from '../faults.ts';
import { freePort } from '../free-port.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';

// A fridge/freezer controller with a Modbus TCP port. Holding registers (input registers
// mirror them, as many controllers do):
//   0–1  temperature, float32, big word order (ABCD)
//   2    temperature, int16 tenths of °C (for masters that cannot read floats)
//   3    status bits: bit0 compressor running, bit1 door open
// Addresses past 3 answer "illegal data address" (exception 2), like a real device.

export const MODBUS_TEMPERATURE_POINTS = {
  float: { address: 0, type: 'float32', wordOrder: 'big' },
  tenths: { address: 2, type: 'int16', scale: 0.1 },
  status: { address: 3, type: 'uint16' },
} as const satisfies Record<string, RegisterPointInput>;

const REGISTER_COUNT = 4;
/** what controllers put in a register when the probe is broken */
const NAN_FLOAT32 = [0x7fc0, 0x0000];
const INT16_SENSOR_ERROR = 0x8000;

export interface ModbusTemperatureOptions {
  id: string;
  zoneId: string;
  zone: ThermalZone;
  host: string;
  /** 0 picks a free port (tests) */
  port: number;
  unitId: number;
  offsetC?: number;
}

class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number, message: string) {
    super(message);
  }
}

export class ModbusTemperature implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private server: ServerTCP | undefined;
  private port: number;
  private readonly faults = new DeviceFaults();
  private last: SimDeviceStatus['last'] = null;
  private sent = 0;

  constructor(private readonly o: ModbusTemperatureOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
    this.port = o.port;
  }

  /** The port actually listened on (differs from the option when it was 0). */
  get listenPort(): number {
    return this.port;
  }

  /** One consistent snapshot of all registers, so a block read never mixes two measurements. */
  registers(): number[] {
    const state = this.o.zone.state();
    const t = this.o.zone.measure(this.o.offsetC ?? 0);
    const status = (state.compressorRunning ? 1 : 0) | (state.doorOpen ? 2 : 0);
    if (this.faults.has('garbage')) return [...NAN_FLOAT32, INT16_SENSOR_ERROR, status];
    this.last = { temperature: Math.round(t * 100) / 100, compressorRunning: state.compressorRunning, doorOpen: state.doorOpen };
    const tenths = Math.max(-3276.8, Math.min(3276.7, t));
    return [...encodeValue(t, MODBUS_TEMPERATURE_POINTS.float), ...encodeValue(tenths, MODBUS_TEMPERATURE_POINTS.tenths), status];
  }

  private read(addr: number, length: number): number[] {
    if (addr + length > REGISTER_COUNT) {
      throw new ModbusException(0x02, `registers ${addr}..${addr + length - 1} do not exist (0..${REGISTER_COUNT - 1})`);
    }
    this.sent++;
    return this.registers().slice(addr, addr + length);
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort(this.o.host);
    // Callback-style handlers (modbus-serial picks the style by arity): during a dropout we
    // simply never call back, so the master sees a timeout, exactly like a dead RS-485 drop.
    const answer = (addr: number, length: number, cb: (err: Error | null, v: number[]) => void): void => {
      if (this.faults.has('dropout')) return;
      try {
        cb(null, this.read(addr, length));
      } catch (e) {
        cb(e as Error, []);
      }
    };
    const vector: IServiceVector = {
      getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: (err: Error | null, v: number[]) => void) => answer(addr, length, cb),
      getHoldingRegister: (addr: number, _unit: number, cb: (err: Error | null, v: number) => void) => answer(addr, 1, (err, v) => cb(err, v[0] ?? 0)),
      getMultipleInputRegisters: (addr: number, length: number, _unit: number, cb: (err: Error | null, v: number[]) => void) => answer(addr, length, cb),
      getInputRegister: (addr: number, _unit: number, cb: (err: Error | null, v: number) => void) => answer(addr, 1, (err, v) => cb(err, v[0] ?? 0)),
    };
    const server = new ServerTCP(vector, { host: this.o.host, port: this.port, unitID: this.o.unitId });
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (e: unknown) => {
        const reason = e instanceof Error ? e.message : String(e);
        reject(new SpError('SP_ERR_DEVICE', { field: 'modbusPort', reason: `${this.id} cannot listen on ${this.o.host}:${this.port}: ${reason}` }));
      });
    });
    server.on('socketError', () => { /* a master hanging up is normal */ });
    server.on('error', () => { /* ditto */ });
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
  }

  status(): SimDeviceStatus {
    return {
      id: this.id, zone: this.zone, kind: 'modbus-temperature',
      endpoint: `modbus-tcp ${this.o.host}:${this.port} unit ${this.o.unitId}`,
      faults: this.faults.list(), last: this.last, sent: this.sent,
    };
  }
}
