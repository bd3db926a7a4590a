import ModbusSerial from 'modbus-serial';
import { SpError } from '../../../protocols/errors.ts';
import type { DeviceDriver, DriverStatus, BackoffOptions } from '../../../protocols/driver.ts';
import { ModbusTcpPoller, type ModbusTcpEndpoint } from '../modbus/tcp-poller.ts';
import { DEFAULT_SCALE_LAYOUT, scaleSampleFromRegisters, type ScaleModbusLayout } from '../../../protocols/scale/modbus-layout.ts';
import type { WeightSample } from '../../../protocols/scale/weight-sample.ts';

// A weighing indicator over Modbus TCP. The polling, reconnect and backoff are the existing
// ModbusTcpPoller's (one read plan covers gross, net, tare and the status word — one request
// with the default map); this adapter only reassembles one poll's points into a WeightSample
// and writes the zero/tare command register on demand.

const ModbusRTU = ModbusSerial.default;

export interface ModbusScaleOptions extends ModbusTcpEndpoint {
  layout?: ScaleModbusLayout;
  backoff?: Partial<BackoffOptions>;
  onSample: (s: WeightSample, deviceId: string) => void;
  onError?: (deviceId: string, err: SpError) => void;
}

type Part = 'gross' | 'net' | 'tare' | 'status';

export class ModbusScaleDriver implements DeviceDriver {
  readonly id: string;
  private readonly poller: ModbusTcpPoller;
  private readonly layout: ScaleModbusLayout;
  private readonly parts: Part[];
  private partial: Partial<Record<Part, number>> = {};

  constructor(private readonly o: ModbusScaleOptions) {
    this.id = o.id;
    this.layout = o.layout ?? DEFAULT_SCALE_LAYOUT;
    const L = this.layout;
    // points are internal to this adapter: their sensor ids name the part, `weight` is only a label
    const points = [
      { sensor: 'gross', kind: 'weight' as const, register: L.gross },
      ...(L.net ? [{ sensor: 'net', kind: 'weight' as const, register: L.net }] : []),
      ...(L.tare ? [{ sensor: 'tare', kind: 'weight' as const, register: L.tare }] : []),
      { sensor: 'status', kind: 'weight' as const, register: { address: L.status.address, area: L.status.area, type: 'uint16' as const } },
    ];
    this.parts = points.map((p) => p.sensor as Part);
    this.poller = new ModbusTcpPoller({
      id: o.id,
      devices: [{ id: o.id, host: o.host, port: o.port, unitId: o.unitId, pollMs: o.pollMs, timeoutMs: o.timeoutMs, points }],
      backoff: o.backoff,
      onReading: (r) => this.collect(r.sensor as Part, r.value, r.ts),
      onError: (_dev, err) => { this.partial = {}; this.o.onError?.(this.id, err); },
    });
  }

  private collect(part: Part, value: number, ts: number): void {
    this.partial[part] = value;
    if (!this.parts.every((p) => this.partial[p] !== undefined)) return;
    const v = this.partial;
    this.partial = {};
    let sample: WeightSample;
    try {
      sample = scaleSampleFromRegisters({ gross: v.gross!, net: v.net, tare: v.tare, status: v.status! }, ts, this.layout);
    } catch (e) {
      this.o.onError?.(this.id, e as SpError);
      return;
    }
    try { this.o.onSample(sample, this.id); } catch { /* consumer bug: keep polling */ }
  }

  start(): Promise<void> {
    return this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return { [this.id]: this.status() };
  }

  status(): DriverStatus {
    return this.poller.status();
  }

  /** Writes the command register (zero / tare / clear tare) on its own short connection. */
  async command(kind: 'zero' | 'tare' | 'clearTare'): Promise<void> {
    const client = new ModbusRTU();
    client.on('error', () => {});
    client.setTimeout(this.o.timeoutMs);
    try {
      await client.connectTCP(this.o.host, { port: this.o.port });
      client.setID(this.o.unitId);
      await client.writeRegister(this.layout.command.address, this.layout.command[kind]);
    } catch (e) {
      throw new SpError('SP_ERR_DEVICE', { field: `devices.${this.id}`, reason: `${kind} command failed: ${(e as Error).message}` });
    } finally {
      await new Promise<void>((r) => { try { client.close(() => r()); } catch { r(); } });
    }
  }
}
