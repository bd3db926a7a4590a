import { SerialPort } from 'serialport';
import { BoundedLineParser, DEFAULT_MAX_LINE_BYTES } from '../../../protocols/serial/bounded-lines.ts';
import { SpError } from '../../../protocols/errors.ts';
import { backoffDelay, type BackoffOptions, type DriverStatus } from '../../../protocols/driver.ts';

// A serial port spoken line by line (CR LF framing), that keeps itself open: a USB adapter
// unplugged, a pty that goes away, or a port that is not there yet at start is retried with
// capped, jittered backoff until stop(). Requests are strictly one at a time — serial
// instruments answer in order and cannot tell two callers apart — each with its own timeout.

export interface LinePortOptions {
  path: string;
  baudRate?: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** line terminator sent after each command (MT-SICS: CR LF) */
  eol?: string;
  /** retry delays while the port cannot be opened; default { baseMs: 250, maxMs: 10000 } */
  backoff?: Partial<BackoffOptions>;
  /** the longest line kept (default 4096 bytes); a longer one is dropped and reported to onError as SP_ERR_TOO_LARGE */
  maxLineBytes?: number;
  /** every line that is not the answer to a pending request (continuous output) */
  onLine?: (line: string, ts: number) => void;
  onOpen?: () => void;
  onError?: (err: SpError) => void;
}

interface Pending {
  command: string;
  resolve: (line: string) => void;
  reject: (e: Error) => void;
  timeoutMs: number;
}

export class LinePort {
  readonly status: DriverStatus = { state: 'stopped', failures: 0, reconnects: 0 };
  private port: SerialPort | undefined;
  private stopped = true;
  private everOpened = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private queue: Pending[] = [];
  private current: { p: Pending; timer: NodeJS.Timeout } | undefined;
  private readonly backoff: BackoffOptions;

  constructor(private readonly o: LinePortOptions) {
    this.backoff = { baseMs: o.backoff?.baseMs ?? 250, maxMs: o.backoff?.maxMs ?? 10_000 };
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.status.state = 'starting';
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.failAll(new SpError('SP_ERR_DEVICE', { field: this.o.path, reason: 'port closed (driver stopping)' }));
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    this.status.state = 'stopped';
  }

  /** Sends one command and resolves with the next line, or rejects after timeoutMs (SP_ERR_DEVICE). */
  request(command: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ command, resolve, reject, timeoutMs });
      this.pump();
    });
  }

  /** Writes without waiting for an answer (continuous-mode devices, `@` reset). */
  write(data: string): void {
    if (this.port?.isOpen) this.port.write(data + (this.o.eol ?? '\r\n'));
  }

  private open(): void {
    if (this.stopped) return;
    const port = new SerialPort({
      path: this.o.path, baudRate: this.o.baudRate ?? 9600, dataBits: this.o.dataBits ?? 8,
      parity: this.o.parity ?? 'none', stopBits: this.o.stopBits ?? 1, autoOpen: false,
    });
    const max = this.o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const parser = port.pipe(new BoundedLineParser(max, (bytes) => {
      const err = new SpError('SP_ERR_TOO_LARGE', { field: this.o.path, reason: `a line of ${bytes} bytes without a line break is over the ${max}-byte limit; dropped` });
      try { this.o.onError?.(err); } catch { /* consumer bug */ }
    }));
    parser.on('data', (raw: string) => this.onData(raw.replace(/\r$/, '')));
    port.on('close', () => this.lost(port, 'port closed'));
    port.on('error', (e) => this.lost(port, e.message));
    port.open((err) => {
      if (err) {
        this.fail(`cannot open: ${err.message}`);
        this.scheduleRetry();
        return;
      }
      if (this.stopped) { port.close(); return; }
      this.port = port;
      if (this.everOpened) this.status.reconnects++;
      this.everOpened = true;
      this.attempt = 0;
      Object.assign(this.status, { state: 'running', failures: 0 });
      try { this.o.onOpen?.(); } catch { /* consumer bug */ }
      this.pump();
    });
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.failAll(new SpError('SP_ERR_DEVICE', { field: this.o.path, reason: `connection lost: ${reason}` }));
    if (this.stopped) return;
    this.fail(`connection lost: ${reason}`);
    this.scheduleRetry();
  }

  private fail(reason: string): void {
    const err = new SpError('SP_ERR_DEVICE', { field: this.o.path, reason });
    this.status.state = 'failed';
    this.status.failures++;
    this.status.lastError = { code: err.code, message: err.message };
    this.status.lastErrorAt = Date.now();
    try { this.o.onError?.(err); } catch { /* consumer bug */ }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), Math.max(50, backoffDelay(this.attempt, this.backoff)));
  }

  private onData(line: string): void {
    const ts = Date.now();
    this.status.lastOkAt = ts;
    if (this.current) {
      const { p, timer } = this.current;
      clearTimeout(timer);
      this.current = undefined;
      p.resolve(line);
      this.pump();
      return;
    }
    try { this.o.onLine?.(line, ts); } catch { /* consumer bug */ }
  }

  private pump(): void {
    if (this.current || !this.port?.isOpen) return;
    const p = this.queue.shift();
    if (!p) return;
    const timer = setTimeout(() => {
      if (this.current?.p !== p) return;
      this.current = undefined;
      this.status.failures++;
      p.reject(new SpError('SP_ERR_DEVICE', { field: this.o.path, reason: `no answer to "${p.command}" within ${p.timeoutMs} ms` }));
      this.pump();
    }, p.timeoutMs);
    this.current = { p, timer };
    this.port.write(p.command + (this.o.eol ?? '\r\n'));
  }

  private failAll(err: Error): void {
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.p.reject(err);
      this.current = undefined;
    }
    for (const p of this.queue.splice(0)) p.reject(err);
  }
}
