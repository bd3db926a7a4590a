import type { ErrorCode } from './errors.ts';

// The small lifecycle every device driver exposes (zigbee2mqtt `lib/extension/extension.ts`,
// ThingsBoard gateway `connectors/connector.py`): the gateway starts and stops drivers and
// reads their status for device health, without knowing which protocol sits behind them.

export type DriverState = 'starting' | 'running' | 'failed' | 'stopped';

export interface DriverStatus {
  state: DriverState;
  /** epoch ms of the last successful exchange with the device(s) */
  lastOkAt?: number;
  /** the most recent failure; kept after recovery so an operator can see what happened */
  lastError?: { code: ErrorCode | string; message: string };
  /**
   * epoch ms of lastError. A device's state follows its latest evidence (issue #13): an error
   * older than lastOkAt is history ("last error at T"), not the device's state.
   */
  lastErrorAt?: number;
  /** consecutive failures since the last success (0 while healthy) */
  failures: number;
  /** times a lost connection was established again */
  reconnects: number;
}

export interface DeviceDriver {
  readonly id: string;
  /** Begins talking to the device(s). Resolves once started; a device that is down does NOT make it reject — it is retried. */
  start(): Promise<void>;
  /** Closes every socket and timer; resolves when nothing of the driver is left running. Safe to call twice. */
  stop(): Promise<void>;
  /** the driver as a whole (one connection, one bus, one broker subscription) */
  status(): DriverStatus;
  /**
   * Per configured device id, what this driver last proved about it: the gateway's /status
   * `devices` and device health read these (one driver may serve many devices, e.g. the slaves
   * of one RS-485 line). A single-device driver returns `{ [id]: status() }`.
   */
  deviceStatuses(): Record<string, DriverStatus>;
  /** one device's status without building the whole map (read on every reading by device health) */
  deviceStatus?(deviceId: string): DriverStatus | undefined;
}

export interface BackoffOptions {
  /** delay cap for the first retry (ms) */
  baseMs: number;
  /** the cap never grows beyond this (ms) */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): capped exponential with full jitter,
 * i.e. uniform in [0, min(maxMs, baseMs · 2^(attempt-1))). Full jitter spreads the retries of
 * many gateways/devices that failed at the same moment (a broker restart, a switch reboot) so
 * they do not all come back in lockstep. `random` is injectable for tests.
 */
export function backoffDelay(attempt: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const base = Math.max(0, baseMs);
  const max = Math.max(0, maxMs);
  // 2^(n-1) overflows to Infinity for huge n; Math.min keeps it at the cap.
  const cap = Math.min(max, base * 2 ** Math.min(n - 1, 1024));
  return Math.floor(random() * cap);
}
