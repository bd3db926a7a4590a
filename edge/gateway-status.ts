import type { DriverStatus } from '../protocols/driver.ts';
import type { DeviceHealthView } from './health/index.ts';
import type { OutputHub } from './outputs/hub.ts';
import type { UplinkStats } from './uplink/uplink.ts';

// What GET /status on the gateway returns (and what its /metrics are read from). Its own file so
// edge/metrics.ts can read it without importing the gateway that imports the metrics.

export interface GatewayStatus {
  /** degraded: the uplink stream has not advanced for uplink.stallAfterSec while entries wait */
  status: 'ok' | 'degraded';
  gateway: string;
  devices: Record<string, DriverStatus>;
  outboxDepth: number;
  deadLetters: number;
  readingsIn: number;
  alertsRaised: number;
  /** per device: last seen, battery, signal, online/offline/failed (edge/health) */
  health: Record<string, DeviceHealthView>;
  uplink: UplinkStats & {
    connected: boolean;
    /** age (s) of the batch in flight since its first send; 0 when none */
    inFlightAgeSec: number;
    /** batches sent and not yet acknowledged (the seq window in use) */
    inFlightBatches: number;
    /** age (s) of the oldest entry not yet acknowledged; 0 when none */
    oldestUnackedSec: number;
    /** how long (s) nothing was acknowledged while entries wait (uplink/stall.ts) */
    stalledForSec: number;
    stallAfterSec: number;
  };
  /** local alarm outputs by name: delivered, failures, lastError and each output's own state */
  outputs?: ReturnType<OutputHub['status']>;
}
