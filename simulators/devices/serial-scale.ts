import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import { SpError } from '../../protocols/errors.ts';
import { formatMtSicsWeight } from '../../protocols/scale/mt-sics.ts';
import { formatWeightStreamLine } from '../../protocols/scale/weight-stream.ts';
import type { DeviceFault } from '../faults.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';
import type { ScaleModel } from './scale-model.ts';

// A bench scale on a serial port (one end of a socat pty pair), in one of two modes:
// - mt-sics: answers S, SI, SIR, Z, T, TI, TAC and @ like a Mettler Toledo balance (CR LF lines,
//   `S S      12.345 kg`, `S I` when S cannot get a stable value, `S +` on overload, ES for
//   anything else);
// - continuous: prints `ST,GS,+0012.345kg` every intervalMs like an indicator in stream mode.
// Faults: dropout (stops answering / printing), garbage (line noise instead of answers).

export interface SerialScaleOptions {
  id: string;
  zoneId: string;
  /** the pty end this device owns */
  path: string;
  mode: 'mt-sics' | 'continuous';
  model: ScaleModel;
  /** continuous mode: ms between lines */
  intervalMs?: number;
  /** decimals printed */
  decimals?: number;
}

export class SerialScale implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private port: SerialPort | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly faults = new DeviceFaults();
  private sent = 0;
  private last: SimDeviceStatus['last'] = null;
  private repeat = false;

  constructor(private readonly o: SerialScaleOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
  }

  async start(): Promise<void> {
    const port = new SerialPort({ path: this.o.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new SpError('SP_ERR_DEVICE', { field: 'path', reason: `${this.id} cannot open ${this.o.path}: ${e.message}` })) : resolve())));
    port.on('error', () => { /* the other end hung up */ });
    port.pipe(new ReadlineParser({ delimiter: '\n' })).on('data', (l: string) => this.onCommand(l.replace(/\r$/, '').trim()));
    this.port = port;
    const every = this.o.intervalMs ?? 100;
    this.timer = setInterval(() => {
      if (this.o.mode === 'continuous') this.send(this.streamLine());
      else if (this.repeat) this.send(this.sicsWeight(false));
    }, every);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
  }

  status(): SimDeviceStatus {
    return { id: this.id, zone: this.zone, kind: 'serial-scale', endpoint: `serial ${this.o.path} (${this.o.mode})`, faults: this.faults.list(), last: this.last, sent: this.sent };
  }

  private send(line: string): void {
    if (!this.port?.isOpen || this.faults.has('dropout')) return;
    this.port.write(`${this.faults.has('garbage') ? '\u00ff#?%\u0001 ~~' : line}\r\n`);
    this.sent++;
  }

  private streamLine(): string {
    const r = this.o.model.read();
    this.last = { kg: r.kg, stable: r.stable, overload: r.overload };
    return formatWeightStreamLine(r.overload ? undefined : r.kg, { stable: r.stable, decimals: this.o.decimals ?? 3 });
  }

  private sicsWeight(needStable: boolean): string {
    const r = this.o.model.read();
    this.last = { kg: r.kg, stable: r.stable, overload: r.overload };
    if (r.overload) return 'S +';
    if (r.underload) return 'S -';
    if (needStable && !r.stable) return 'S I';
    return formatMtSicsWeight(r.kg, r.stable, this.o.decimals ?? 3);
  }

  private onCommand(cmd: string): void {
    if (this.o.mode !== 'mt-sics' || !cmd) return;
    switch (cmd) {
      case 'S': return this.send(this.sicsWeight(true));
      case 'SI': return this.send(this.sicsWeight(false));
      case 'SIR': this.repeat = true; return;
      case '@': this.repeat = false; return this.send('I4 A "SP-SIM-0001"');
      case 'Z': case 'ZI': this.o.model.zero(); return this.send(`${cmd} A`);
      case 'T': case 'TI': this.o.model.tare(); return this.send(`T S ${this.o.model.tareValueKg.toFixed(this.o.decimals ?? 3).padStart(10)} kg`);
      case 'TAC': this.o.model.clearTare(); return this.send('TAC A');
      default: return this.send('ES');
    }
  }
}
