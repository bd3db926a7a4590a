import { ServerSerial, type IServiceVector } from 'modbus-serial';
import { openPtyPair, type PtyPair } from './pty-pair.ts';

// An RS-485 line with Modbus RTU slaves, on a socat pty pair: the gateway opens `hostPath` as
// it would /dev/ttyUSB0, the simulated slaves answer on the other end through modbus-serial's
// ServerSerial (real RTU framing and CRC over a real tty). A slave set silent does not answer
// at all, like a dead or unpowered device on the bus; unplug() hangs the line up.

export interface RtuSlave {
  /** holding registers from address 0 (input registers mirror them) */
  registers: () => number[];
  silent?: boolean;
}

export class ModbusRtuBusSim {
  private server: ServerSerial | undefined;
  private pair: PtyPair | undefined;
  readonly slaves = new Map<number, RtuSlave>();
  /** requests answered, per unit id */
  readonly answered = new Map<number, number>();

  constructor(private readonly dir: string, private readonly baudRate = 9600) {}

  /** where the gateway's device config `path` points */
  get hostPath(): string {
    return `${this.dir}/host`;
  }

  async start(): Promise<void> {
    this.pair = await openPtyPair(this.dir);
    const read = (addr: number, unit: number, cb: (err: Error | null, v?: number) => void) => {
      const s = this.slaves.get(unit);
      if (!s || s.silent) return; // no answer: the master times out
      this.answered.set(unit, (this.answered.get(unit) ?? 0) + 1);
      const regs = s.registers();
      if (addr >= regs.length) return cb(Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 }));
      cb(null, regs[addr]);
    };
    const vector = { getHoldingRegister: read, getInputRegister: read } as unknown as IServiceVector;
    const server = new ServerSerial(vector, { path: this.pair.devicePath, baudRate: this.baudRate, unitID: 255 });
    server.on('error', () => {}); // a hung-up line; the test decides what happens next
    await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
    this.server = server;
  }

  /** pulls the cable: both ends hang up; start() plugs it back in at the same path */
  async unplug(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await this.pair?.close();
    this.pair = undefined;
  }

  close(): Promise<void> {
    return this.unplug();
  }
}
