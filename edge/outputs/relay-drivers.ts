import { execFile } from 'node:child_process';
import ModbusSerial from 'modbus-serial';
import type { Logger } from 'pino';
import type { RelayDriverConfig } from './config.schema.ts';
import { SpError } from '../../protocols/errors.ts';

// modbus-serial is CommonJS: under ESM its class is the default export's `default`.
const ModbusRTU = ModbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

// How a relay (siren, beacon, a contact into the alarm panel) is switched. Each driver only
// sets a state; the RelayOutput decides which state and retries.

export interface RelayDriver {
  readonly type: string;
  set(on: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Runs `/bin/sh -c '<command> "$1"' relay on|off`: the state is an argument, never pasted into the command text. */
export class CommandRelayDriver implements RelayDriver {
  readonly type = 'command';
  constructor(private readonly command: string, private readonly timeoutMs: number) {}

  set(on: boolean): Promise<void> {
    const state = on ? 'on' : 'off';
    return new Promise((resolve, reject) => {
      execFile('/bin/sh', ['-c', `${this.command} "$1"`, 'stockpulse-relay', state], {
        timeout: this.timeoutMs,
        env: { ...process.env, STOCKPULSE_RELAY_STATE: state },
      }, (err, _stdout, stderr) => {
        if (!err) return resolve();
        const why = err.killed ? `timed out after ${this.timeoutMs} ms` : `exit code ${String(err.code)}`;
        reject(new Error(`relay command (${state}) failed: ${why}${stderr ? `: ${String(stderr).trim().slice(0, 200)}` : ''}`));
      });
    });
  }

  async close(): Promise<void> {}
}

/** Writes one coil (function 05) on a Modbus TCP relay module / PLC; reconnects after any failure. */
export class ModbusCoilRelayDriver implements RelayDriver {
  readonly type = 'modbus-coil';
  private client: ModbusClient | undefined;

  constructor(private readonly o: { host: string; port: number; unitId: number; address: number; timeoutMs: number }) {}

  async set(on: boolean): Promise<void> {
    try {
      if (!this.client?.isOpen) {
        this.drop();
        const c = new ModbusRTU();
        this.client = c;
        c.setTimeout(this.o.timeoutMs);
        await c.connectTCP(this.o.host, { port: this.o.port });
        c.setID(this.o.unitId);
      }
      await this.client!.writeCoil(this.o.address, on);
    } catch (e) {
      this.drop();
      const message = `coil ${this.o.address} on ${this.o.host}:${this.o.port} unit ${this.o.unitId}: ${(e as Error).message}`;
      throw new SpError('SP_ERR_DEVICE', { field: 'coil', reason: message }, message);
    }
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    if (c?.isOpen) c.close(() => {});
  }

  async close(): Promise<void> {
    this.drop();
  }
}

/** Logs the state: for a bench, or to see what a relay would do before wiring one. */
export class LogRelayDriver implements RelayDriver {
  readonly type = 'log';
  constructor(private readonly log: Logger, private readonly name: string) {}
  async set(on: boolean): Promise<void> {
    this.log.warn({ output: this.name, relay: on ? 'on' : 'off' }, `relay ${this.name} ${on ? 'ON' : 'off'}`);
  }
  async close(): Promise<void> {}
}

export function relayDriver(cfg: RelayDriverConfig, name: string, log: Logger): RelayDriver {
  switch (cfg.type) {
    case 'command': return new CommandRelayDriver(cfg.command, cfg.timeoutMs);
    case 'modbus-coil': return new ModbusCoilRelayDriver(cfg);
    case 'log': return new LogRelayDriver(log, name);
  }
}
