import { isSpError, SpError } from '../../../protocols/errors.ts';
import type { DeviceDriver, DriverStatus } from '../../../protocols/driver.ts';
import { LinePort, type LinePortOptions } from './line-port.ts';
import { MT_SICS_COMMANDS, mtSicsToSample, parseMtSicsLine, type MtSicsResponse } from '../../../protocols/scale/mt-sics.ts';
import { parseWeightStreamLine, weightStreamToSample } from '../../../protocols/scale/weight-stream.ts';
import type { WeightSample } from '../../../protocols/scale/weight-sample.ts';

// A scale on a serial line, in one of two dialects:
// - `mt-sics`: request/response. Every pollMs we send SI (weight now, stable or not — S would
//   block until stable, hiding the motion the edge wants to see) and wait up to timeoutMs.
//   A scale that stops answering is a device failure (counted, reported); the port stays open
//   and polling goes on, so it recovers by itself when the scale is switched back on.
// - `continuous`: the indicator streams `ST,GS,+0012.345kg` lines by itself; we only frame
//   and decode them. A line that does not decode is reported and skipped.
// The port itself reconnects (LinePort) when it disappears.

export interface SerialScaleOptions extends Pick<LinePortOptions, 'path' | 'baudRate' | 'dataBits' | 'parity' | 'stopBits' | 'backoff'> {
  id: string;
  mode: 'mt-sics' | 'continuous';
  /** mt-sics: poll period (ms) */
  pollMs?: number;
  /** mt-sics: answer timeout (ms) */
  timeoutMs?: number;
  onSample: (s: WeightSample, deviceId: string) => void;
  onError?: (deviceId: string, err: SpError) => void;
}

export class SerialScaleDriver implements DeviceDriver {
  readonly id: string;
  private readonly port: LinePort;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private polling = false;
  /**
   * What the scale itself last proved, apart from the port's own state (issue #13): a decoded
   * answer resets the failures, any failure (port, timeout, garbage) counts and is the last
   * error with its time. So the status follows the latest evidence: a balance that failed at
   * start and answers now reads running with 0 failures, its old error kept as history only.
   */
  private readonly evidence: Pick<DriverStatus, 'failures' | 'lastOkAt' | 'lastError' | 'lastErrorAt'> = { failures: 0 };

  constructor(private readonly o: SerialScaleOptions) {
    this.id = o.id;
    this.port = new LinePort({
      path: o.path, baudRate: o.baudRate, dataBits: o.dataBits, parity: o.parity, stopBits: o.stopBits, backoff: o.backoff,
      onLine: (line, ts) => this.onUnsolicited(line, ts),
      onError: (e) => this.report(e),
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.port.start();
    if (this.o.mode === 'mt-sics') this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.port.stop();
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return { [this.id]: this.status() };
  }

  status(): DriverStatus {
    const { state, reconnects } = this.port.status;
    const e = this.evidence;
    return { state, reconnects, failures: e.failures, ...(e.lastOkAt !== undefined ? { lastOkAt: e.lastOkAt } : {}), ...(e.lastError ? { lastError: { ...e.lastError }, lastErrorAt: e.lastErrorAt } : {}) };
  }

  /** MT-SICS Z / T / TAC; resolves with the balance's answer (e.g. `Z A`), rejects on timeout. */
  async command(kind: 'zero' | 'tare' | 'clearTare'): Promise<MtSicsResponse> {
    if (this.o.mode !== 'mt-sics') throw new SpError('SP_ERR_VALIDATION', { field: 'mode', reason: 'zero/tare commands need an MT-SICS scale' });
    const line = await this.port.request(MT_SICS_COMMANDS[kind], this.o.timeoutMs ?? 1000);
    return parseMtSicsLine(line);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.running) this.timer = setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    const started = Date.now();
    if (this.port.isOpen && !this.polling) {
      this.polling = true;
      try {
        const line = await this.port.request(MT_SICS_COMMANDS.weighImmediate, this.o.timeoutMs ?? 1000);
        this.handle(line, Date.now(), 'mt-sics');
      } catch (e) {
        if (this.running) this.report(isSpError(e) ? e : new SpError('SP_ERR_DEVICE', { field: this.o.path, reason: String(e) }));
      } finally {
        this.polling = false;
      }
    }
    this.schedule(Math.max(0, (this.o.pollMs ?? 250) - (Date.now() - started)));
  }

  private onUnsolicited(line: string, ts: number): void {
    if (!line.trim()) return;
    this.handle(line, ts, this.o.mode === 'continuous' ? 'continuous' : 'mt-sics');
  }

  private handle(line: string, ts: number, dialect: 'mt-sics' | 'continuous'): void {
    let sample: WeightSample | undefined;
    try {
      sample = dialect === 'continuous' ? weightStreamToSample(parseWeightStreamLine(line), ts) : mtSicsToSample(parseMtSicsLine(line), ts);
    } catch (e) {
      this.report(isSpError(e) ? e : new SpError('SP_ERR_DECODE', { field: 'line', reason: String(e) }));
      return;
    }
    // an answer that decodes proves the scale is there, even one without a weight (`S I`)
    Object.assign(this.evidence, { failures: 0, lastOkAt: ts });
    if (sample) {
      try { this.o.onSample(sample, this.id); } catch { /* consumer bug */ }
    }
  }

  private report(err: SpError): void {
    const e = this.evidence;
    e.failures++;
    e.lastError = { code: err.code, message: err.message };
    e.lastErrorAt = Date.now();
    try { this.o.onError?.(this.id, err); } catch { /* consumer bug */ }
  }
}
