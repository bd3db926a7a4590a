import { SpError, isSpError } from '../../../protocols/errors.ts';
import { backoffDelay, type BackoffOptions, type DeviceDriver, type DriverStatus } from '../../../protocols/driver.ts';
import { parseRegisterPoint } from '../../../protocols/modbus/register-map.ts';
import { ModbusClientClass, describeTransportError, readBlocks, type ModbusClient, type PlannedPoint } from './read-blocks.ts';
import { planReads, type ReadBlock } from '../../../protocols/modbus/read-plan.ts';
import { STOPPED, abortableSleep, withDeadline } from './abortable.ts';
import type { ModbusTcpPollPoint, ModbusTcpPollerOptions } from './tcp-poller.ts';

// Modbus RTU: slaves on an RS-485 line behind one serial port. Unlike TCP, a bus carries one
// request at a time, so the devices of one port share a single client and take turns. What
// keeps one dead slave from stalling the line (the Telegraf #11782 failure) is that a slave
// which did not answer is put on backoff: it costs one timeout per retry, not one per cycle,
// while the live slaves keep their poll rate. A port that fails (unplugged USB adapter, wrong
// path) fails every device on it and is reopened with backoff; other ports are untouched.

export type Parity = 'none' | 'even' | 'odd';

/** Same shape as the parsed `modbus-rtu` device of edge/config.schema.ts (extra fields are ignored). */
export interface ModbusRtuPollDevice {
  id: string;
  /** serial port, e.g. /dev/ttyUSB0; devices with the same path share the line */
  path: string;
  baudRate: number;
  parity: Parity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  unitId: number;
  pollMs: number;
  timeoutMs: number;
  points: readonly ModbusTcpPollPoint[];
}

/** as for Modbus TCP (tcp-poller.ts); `backoff` also paces the reopening of a failed port */
export interface ModbusRtuPollerOptions extends Omit<ModbusTcpPollerOptions, 'devices' | 'id'> {
  devices: readonly ModbusRtuPollDevice[];
}

interface Slave {
  dev: ModbusRtuPollDevice;
  blocks: ReadBlock<PlannedPoint>[];
  status: DriverStatus;
  /** epoch ms when this slave is next polled */
  due: number;
  attempt: number;
}

const slaveError = (dev: ModbusRtuPollDevice, reason: string) =>
  new SpError('SP_ERR_DEVICE', { field: `devices.${dev.id}`, reason: `${dev.path} unit ${dev.unitId}: ${reason}` });

/** One serial line: its port, its slaves, its loop. */
class RtuLine {
  private client: ModbusClient | undefined;
  private everOpened = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  readonly slaves: Slave[];

  constructor(readonly path: string, devices: readonly ModbusRtuPollDevice[], private readonly o: ModbusRtuPollerOptions, private readonly backoff: BackoffOptions) {
    const first = devices[0]!;
    const mismatch = devices.find((d) => d.baudRate !== first.baudRate || d.parity !== first.parity || d.dataBits !== first.dataBits || d.stopBits !== first.stopBits);
    if (mismatch) {
      throw new SpError('SP_ERR_CONFIG', { field: `devices.${mismatch.id}`, reason: `shares ${path} with ${first.id} but not its line settings (baud, parity, data/stop bits): one RS-485 line has one setting` });
    }
    this.slaves = devices.map((dev) => ({
      dev, status: { state: 'stopped', failures: 0, reconnects: 0 }, due: 0, attempt: 0,
      blocks: planReads(dev.points.map((p) => ({ sensor: p.sensor, kind: p.kind, register: parseRegisterPoint(p.register) })), { maxGap: o.maxGap }),
    }));
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    for (const s of this.slaves) s.status.state = 'starting';
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    const loop = this.loop;
    this.loop = undefined;
    await loop;
    this.closePort();
    for (const s of this.slaves) s.status.state = 'stopped';
  }

  private async run(signal: AbortSignal): Promise<void> {
    let portAttempt = 0;
    while (!signal.aborted) {
      if (!this.client) {
        try {
          await this.openPort(signal);
          portAttempt = 0;
        } catch (e) {
          if (e === STOPPED || signal.aborted) break;
          this.closePort();
          portAttempt++;
          const reason = `serial port: ${describeTransportError(e, this.slaves[0]!.dev.timeoutMs)}`;
          for (const s of this.slaves) this.fail(s, slaveError(s.dev, reason));
          await abortableSleep(Math.max(backoffDelay(portAttempt, this.backoff), 200), signal);
          continue;
        }
      }
      const now = Date.now();
      const next = this.slaves.filter((s) => s.due <= now).sort((a, b) => a.due - b.due)[0];
      if (!next) {
        await abortableSleep(Math.min(...this.slaves.map((s) => s.due)) - now, signal);
        continue;
      }
      try {
        await this.poll(next, signal);
      } catch (e) {
        if (e === STOPPED || signal.aborted) break;
        if (!this.client?.isOpen) { // the port itself went away: every slave is unreachable
          this.closePort();
          continue;
        }
        next.attempt++;
        this.fail(next, isSpError(e) ? e : slaveError(next.dev, describeTransportError(e, next.dev.timeoutMs)));
        next.due = Date.now() + Math.max(backoffDelay(next.attempt, this.backoff), Math.min(next.dev.pollMs, this.backoff.maxMs));
      }
    }
  }

  private async poll(s: Slave, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const client = this.client!;
    client.setID(s.dev.unitId);
    client.setTimeout(s.dev.timeoutMs);
    await readBlocks(client, s.blocks, {
      guard: (p) => this.guard(p, s.dev, signal),
      onReading: (r) => this.o.onReading(r, s.dev.id),
      onPointError: (err, sensor) => this.emitError(s.dev.id, err, sensor),
    });
    if (s.status.state === 'failed' && s.status.failures > 0) s.status.reconnects++;
    s.attempt = 0;
    Object.assign(s.status, { state: 'running', lastOkAt: Date.now(), failures: 0 });
    s.due = started + s.dev.pollMs;
  }

  private fail(s: Slave, err: SpError): void {
    s.status.state = 'failed';
    s.status.failures++;
    s.status.lastError = { code: err.code, message: err.message };
    s.status.lastErrorAt = Date.now();
    this.emitError(s.dev.id, err);
  }

  private async openPort(signal: AbortSignal): Promise<void> {
    const d = this.slaves[0]!.dev;
    const client = new ModbusClientClass();
    client.on('error', () => {}); // re-emitted port errors: the next request fails and says why
    this.client = client;
    await this.guard(client.connectRTUBuffered(this.path, { baudRate: d.baudRate, parity: d.parity, dataBits: d.dataBits, stopBits: d.stopBits }), d, signal);
    if (this.everOpened) for (const s of this.slaves) s.due = 0; // back: poll everyone now
    this.everOpened = true;
  }

  private closePort(): void {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    try {
      c.close(() => {});
    } catch { /* already gone */ }
  }

  /** never longer than the slave's timeout (+ slack), never past stop() */
  private guard<T>(p: Promise<T>, dev: ModbusRtuPollDevice, signal: AbortSignal): Promise<T> {
    return withDeadline(p, dev.timeoutMs + 250, signal, () => slaveError(dev, `no answer within ${dev.timeoutMs} ms`));
  }

  private emitError(deviceId: string, err: SpError, sensor?: string): void {
    try {
      this.o.onError?.(deviceId, err, sensor);
    } catch { /* consumer bug: keep polling */ }
  }
}

export class ModbusRtuPoller implements DeviceDriver {
  readonly id = 'modbus-rtu';
  private readonly lines: RtuLine[] = [];
  private state: DriverStatus['state'] = 'stopped';

  constructor(o: ModbusRtuPollerOptions) {
    const backoff = { baseMs: 500, maxMs: 30_000, ...o.backoff };
    const byPath = new Map<string, ModbusRtuPollDevice[]>();
    for (const d of o.devices) byPath.set(d.path, [...(byPath.get(d.path) ?? []), d]);
    for (const [path, devices] of byPath) this.lines.push(new RtuLine(path, devices, o, backoff));
  }

  async start(): Promise<void> {
    for (const l of this.lines) l.start();
    this.state = 'running';
  }

  async stop(): Promise<void> {
    await Promise.all(this.lines.map((l) => l.stop()));
    this.state = 'stopped';
  }

  status(): DriverStatus {
    const all = this.lines.flatMap((l) => l.slaves.map((s) => s.status));
    const ok = all.map((s) => s.lastOkAt ?? 0).filter((t) => t > 0);
    return {
      state: this.state === 'running' && all.length && all.every((s) => s.state === 'failed') ? 'failed' : this.state,
      failures: all.reduce((n, s) => n + s.failures, 0),
      reconnects: all.reduce((n, s) => n + s.reconnects, 0),
      ...(ok.length ? { lastOkAt: Math.max(...ok) } : {}),
    };
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return Object.fromEntries(this.lines.flatMap((l) => l.slaves.map((s) => [s.dev.id, { ...s.status }])));
  }
}
