import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { encodeValue } from '../../protocols/modbus/register-map.ts';
import { DEFAULT_SCALE_LAYOUT, type ScaleModbusLayout } from '../../protocols/scale/modbus-layout.ts';
import { SpError } from '../../protocols/errors.ts';
import type { DeviceFault } from '../faults.ts';
import { freePort } from '../free-port.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';
import type { ScaleModel } from './scale-model.ts';

// A floor / silo scale indicator with a Modbus TCP port, serving the stockpulse default scale
// map (protocols/scale/modbus-layout.ts): gross/net/tare int32 grams, a status word, and a
// command register (1 zero, 2 tare, 3 clear tare). Faults: dropout (no answers), garbage (an
// overload + motion status with nonsense weights — what a broken load cell looks like).

export interface ModbusScaleSimOptions {
  id: string;
  zoneId: string;
  host: string;
  port: number;
  unitId: number;
  model: ScaleModel;
  layout?: ScaleModbusLayout;
}

export class ModbusScaleSim implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private server: ServerTCP | undefined;
  private port: number;
  private readonly faults = new DeviceFaults();
  private last: SimDeviceStatus['last'] = null;
  private sent = 0;
  private readonly layout: ScaleModbusLayout;

  constructor(private readonly o: ModbusScaleSimOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
    this.port = o.port;
    this.layout = o.layout ?? DEFAULT_SCALE_LAYOUT;
  }

  get listenPort(): number {
    return this.port;
  }

  /** the whole register image of one instant (addresses 0..command) */
  registers(): number[] {
    const L = this.layout;
    const size = Math.max(L.command.address, L.status.address, L.gross.address + 2, (L.net?.address ?? 0) + 2, (L.tare?.address ?? 0) + 2) + 1;
    const regs = new Array<number>(size).fill(0);
    const put = (addr: number, v: number[]) => v.forEach((x, i) => { regs[addr + i] = x; });
    const r = this.o.model.read();
    const garbage = this.faults.has('garbage');
    const net = r.netKg !== r.grossKg || this.o.model.tareValueKg !== 0;
    const status = (r.stable && !garbage ? 0 : 1 << L.status.motionBit) | (r.overload || garbage ? 1 << L.status.overloadBit : 0)
      | (net ? 1 << L.status.netBit : 0) | (r.underload && L.status.underloadBit !== undefined ? 1 << L.status.underloadBit : 0);
    const clamp = (kg: number) => Math.max(-2_000_000, Math.min(2_000_000, garbage ? 1_999_999 : kg));
    put(L.gross.address, encodeValue(clamp(r.grossKg), L.gross));
    if (L.net) put(L.net.address, encodeValue(clamp(r.netKg), L.net));
    if (L.tare) put(L.tare.address, encodeValue(clamp(r.tareKg), L.tare));
    regs[L.status.address] = status;
    this.last = { grossKg: r.grossKg, netKg: r.netKg, stable: r.stable, overload: r.overload };
    return regs;
  }

  async start(): Promise<void> {
    // a port we picked ourselves may be taken between freePort() and listen() by another process
    // on a busy box: then pick again (a port the caller chose is the caller's to fix)
    const ownPort = this.port === 0;
    for (let attempt = 1; ; attempt++) {
      if (ownPort) this.port = await freePort(this.o.host);
      try {
        return await this.listen();
      } catch (e) {
        if (!ownPort || attempt >= 5 || !/EADDRINUSE/.test((e as Error).message)) throw e;
      }
    }
  }

  private async listen(): Promise<void> {
    const answer = (addr: number, length: number, cb: (err: Error | null, v: number[]) => void): void => {
      if (this.faults.has('dropout')) return;
      const regs = this.registers();
      if (addr + length > regs.length) {
        cb(Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 }), []);
        return;
      }
      this.sent++;
      cb(null, regs.slice(addr, addr + length));
    };
    const write = (addr: number, value: number, cb: (err: Error | null) => void): void => {
      if (this.faults.has('dropout')) return;
      const c = this.layout.command;
      if (addr !== c.address) { cb(Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 })); return; }
      if (value === c.zero) this.o.model.zero();
      else if (value === c.tare) this.o.model.tare();
      else if (value === c.clearTare) this.o.model.clearTare();
      else { cb(Object.assign(new Error('illegal data value'), { modbusErrorCode: 3 })); return; }
      cb(null);
    };
    const vector: IServiceVector = {
      getMultipleHoldingRegisters: (addr: number, length: number, _u: number, cb: (err: Error | null, v: number[]) => void) => answer(addr, length, cb),
      getHoldingRegister: (addr: number, _u: number, cb: (err: Error | null, v: number) => void) => answer(addr, 1, (e, v) => cb(e, v[0] ?? 0)),
      getMultipleInputRegisters: (addr: number, length: number, _u: number, cb: (err: Error | null, v: number[]) => void) => answer(addr, length, cb),
      getInputRegister: (addr: number, _u: number, cb: (err: Error | null, v: number) => void) => answer(addr, 1, (e, v) => cb(e, v[0] ?? 0)),
      setRegister: (addr: number, value: number, _u: number, cb: (err: Error | null) => void) => write(addr, value, cb),
    };
    const server = new ServerTCP(vector, { host: this.o.host, port: this.port, unitID: this.o.unitId });
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (e: unknown) => reject(new SpError('SP_ERR_DEVICE', { field: 'modbusPort', reason: `${this.id} cannot listen on ${this.o.host}:${this.port}: ${e instanceof Error ? e.message : String(e)}` })));
    });
    server.on('socketError', () => {});
    server.on('error', () => {});
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
    return { id: this.id, zone: this.zone, kind: 'modbus-scale', endpoint: `modbus-tcp ${this.o.host}:${this.port} unit ${this.o.unitId}`, faults: this.faults.list(), last: this.last, sent: this.sent };
  }
}
