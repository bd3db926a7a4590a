import { SpError, isSpError, type ErrorCode } from '../../../protocols/errors.ts';
import type { Reading, ReadingKind } from '../../../protocols/reading.ts';
import { backoffDelay, type BackoffOptions, type DeviceDriver, type DriverStatus } from '../../../protocols/driver.ts';
import { parseRegisterPoint } from '../../../protocols/modbus/register-map.ts';
import { ModbusClientClass, describeTransportError, readBlocks, type ModbusClient, type PlannedPoint } from './read-blocks.ts';
import type { RegisterPoint, RegisterPointInput } from '../../../protocols/modbus/register-map.schema.ts';
import { planReads, type ReadBlock } from '../../../protocols/modbus/read-plan.ts';
import { STOPPED, abortableSleep, withDeadline } from './abortable.ts';

// The Modbus TCP polling driver. Every device has its own connection and its own loop, so one
// slow or dead slave never stalls the others (a shared request queue is how one unplugged
// meter freezes a whole bus in naive gateways). A device that fails is marked failed and
// retried with capped, jittered backoff while the rest keep polling.
//
// Output is by callback, not an Observable: the edge wraps it in whatever pipeline it likes,
// and the driver stays free of rxjs. Callbacks must not throw; if one does, the error is
// swallowed so that a consumer bug cannot stop the polling.

export interface ModbusTcpPollPoint {
  sensor: string;
  kind: ReadingKind;
  register: RegisterPoint | RegisterPointInput;
}

/** Where and how often one Modbus TCP slave is polled (shared by every Modbus TCP driver). */
export interface ModbusTcpEndpoint {
  id: string;
  host: string;
  port: number;
  unitId: number;
  pollMs: number;
  timeoutMs: number;
}

/** Same shape as the parsed `modbus-tcp` device of edge/config.schema.ts (extra fields are ignored). */
export interface ModbusTcpPollDevice extends ModbusTcpEndpoint {
  points: readonly ModbusTcpPollPoint[];
}

export interface ModbusTcpPollerOptions {
  devices: readonly ModbusTcpPollDevice[];
  /** one call per decoded point per poll */
  onReading: (reading: Reading, deviceId: string) => void;
  /**
   * Device failures (connect refused/timed out, no answer, connection lost: `sensor` undefined)
   * and point failures (register decodes to NaN, Modbus exception for its address: `sensor` set).
   * A point failure leaves the other points and the device running.
   */
  onError?: (deviceId: string, error: SpError, sensor?: string) => void;
  /** retry delays after a device failure (backoffDelay, but never less than one poll period); default { baseMs: 500, maxMs: 30000 } */
  backoff?: Partial<BackoffOptions>;
  /** unused registers read through to save a request (see read-plan.ts); default 4 */
  maxGap?: number;
  /** driver id reported by DeviceDriver.id; default 'modbus-tcp' */
  id?: string;
}

const ModbusRTU = ModbusClientClass;

function deviceError(dev: ModbusTcpPollDevice, reason: string, code: ErrorCode = 'SP_ERR_DEVICE'): SpError {
  return new SpError(code, { field: `devices.${dev.id}`, reason: `${dev.host}:${dev.port} unit ${dev.unitId}: ${reason}` });
}

/** One device: its connection, its loop, its status. */
class DevicePoller {
  readonly status: DriverStatus = { state: 'stopped', failures: 0, reconnects: 0 };
  private client: ModbusClient | undefined;
  private everConnected = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly blocks: ReadBlock<PlannedPoint>[];

  constructor(
    readonly dev: ModbusTcpPollDevice,
    private readonly opts: ModbusTcpPollerOptions,
    private readonly backoff: BackoffOptions,
  ) {
    const points = dev.points.map((p) => ({ sensor: p.sensor, kind: p.kind, register: parseRegisterPoint(p.register) }));
    this.blocks = planReads(points, { maxGap: opts.maxGap });
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.status.state = 'starting';
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    const loop = this.loop;
    this.loop = undefined;
    await loop;
    this.dropClient();
    this.status.state = 'stopped';
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const cycleStart = Date.now();
      try {
        await this.pollOnce(signal);
        attempt = 0;
        Object.assign(this.status, { state: 'running', lastOkAt: Date.now(), failures: 0 });
        await abortableSleep(this.dev.pollMs - (Date.now() - cycleStart), signal);
      } catch (e) {
        if (e === STOPPED || signal.aborted) break;
        this.dropClient();
        attempt += 1;
        const err = isSpError(e) ? e : deviceError(this.dev, describeTransportError(e, this.dev.timeoutMs));
        this.status.state = 'failed';
        this.status.failures += 1;
        this.status.lastError = { code: err.code, message: err.message };
        this.status.lastErrorAt = Date.now();
        this.emitError(err);
        // Never retry faster than the poll rate: a refused port would otherwise spin.
        await abortableSleep(Math.max(backoffDelay(attempt, this.backoff), Math.min(this.dev.pollMs, this.backoff.maxMs)), signal);
      }
    }
  }

  /** One poll cycle: (re)connect if needed, read every block, deliver what decodes. */
  private async pollOnce(signal: AbortSignal): Promise<void> {
    if (this.client && !this.client.isOpen) this.dropClient(); // the slave closed an idle connection
    if (!this.client) await this.connect(signal);
    await readBlocks(this.client!, this.blocks, {
      guard: (p) => this.guard(p, signal),
      onReading: (r) => this.opts.onReading(r, this.dev.id),
      onPointError: (err, sensor) => this.emitError(err, sensor),
    });
  }

  private async connect(signal: AbortSignal): Promise<void> {
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener an EventEmitter 'error' would crash the process.
    client.on('error', () => {});
    client.setTimeout(this.dev.timeoutMs);
    this.client = client;
    await this.guard(client.connectTCP(this.dev.host, { port: this.dev.port }), signal);
    client.setID(this.dev.unitId);
    if (this.everConnected) this.status.reconnects += 1;
    this.everConnected = true;
  }

  /** never longer than the device timeout (plus slack) and never past stop() */
  private guard<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
    return withDeadline(p, this.dev.timeoutMs + 250, signal, () => deviceError(this.dev, `no answer within ${this.dev.timeoutMs} ms`));
  }

  private dropClient(): void {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    try {
      c.destroy(() => {});
    } catch { /* already gone */ }
  }

  private emitError(err: SpError, sensor?: string): void {
    try {
      this.opts.onError?.(this.dev.id, err, sensor);
    } catch { /* consumer bug: keep polling */ }
  }
}

export class ModbusTcpPoller implements DeviceDriver {
  readonly id: string;
  private readonly devices: DevicePoller[];
  private started = false;

  /** Validates every device's register map up front (SP_ERR_MODBUS_MAP) so a bad map fails at start, not mid-run. */
  constructor(opts: ModbusTcpPollerOptions) {
    this.id = opts.id ?? 'modbus-tcp';
    const backoff: BackoffOptions = { baseMs: opts.backoff?.baseMs ?? 500, maxMs: opts.backoff?.maxMs ?? 30_000 };
    const ids = new Set<string>();
    this.devices = opts.devices.map((d) => {
      if (ids.has(d.id)) throw new SpError('SP_ERR_CONFIG', { field: `devices.${d.id}`, reason: `duplicate device id "${d.id}"` });
      ids.add(d.id);
      return new DevicePoller(d, opts, backoff);
    });
  }

  /** Starts every device loop and returns at once: devices that are down are retried in the background. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const d of this.devices) d.start();
  }

  /** Closes every connection and timer; resolves when all loops have ended. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.devices.map((d) => d.stop()));
  }

  /**
   * The driver as a whole: stopped until started; running while at least one device runs;
   * failed when every device is failing; starting otherwise. Counters are summed over devices.
   */
  status(): DriverStatus {
    const all = this.devices.map((d) => d.status);
    const state: DriverStatus['state'] = !this.started
      ? 'stopped'
      : all.some((s) => s.state === 'running')
        ? 'running'
        : all.length > 0 && all.every((s) => s.state === 'failed')
          ? 'failed'
          : 'starting';
    const out: DriverStatus = {
      state,
      failures: all.reduce((n, s) => n + s.failures, 0),
      reconnects: all.reduce((n, s) => n + s.reconnects, 0),
    };
    const okAts = all.map((s) => s.lastOkAt).filter((t): t is number => t !== undefined);
    if (okAts.length) out.lastOkAt = Math.max(...okAts);
    const failing = this.devices.find((d) => d.status.state === 'failed' && d.status.lastError);
    if (failing?.status.lastError) Object.assign(out, { lastError: { ...failing.status.lastError }, lastErrorAt: failing.status.lastErrorAt });
    return out;
  }

  /** Status of one device (a copy), or undefined for an unknown id. */
  deviceStatus(deviceId: string): DriverStatus | undefined {
    const d = this.devices.find((x) => x.dev.id === deviceId);
    return d ? { ...d.status, lastError: d.status.lastError && { ...d.status.lastError } } : undefined;
  }

  /** Status of every device, by device id. */
  deviceStatuses(): Record<string, DriverStatus> {
    return Object.fromEntries(this.devices.map((d) => [d.dev.id, this.deviceStatus(d.dev.id)!]));
  }
}
