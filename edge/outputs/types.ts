import type { AlertEvent } from '../../protocols/uplink/contract.ts';

// A local alarm output: somewhere an alert transition goes on site, independent of the cloud
// link (a siren relay, a LAN webhook, the site broker's alert topic, the log).

export interface AlarmOutput {
  readonly name: string;
  readonly type: string;
  /**
   * Handles one transition. Resolves once it took effect; rejects when it could not (after the
   * output's own retries). Called for every transition in order, without waiting for the
   * previous one: an output that must serialise does so itself.
   */
  deliver(alert: AlertEvent): Promise<void>;
  /** connects / sets a known initial state; must not wait long for a device that is down */
  start?(): Promise<void>;
  /** what an operator needs to see: connected, relay state, queue depth… */
  status(): Record<string, unknown>;
  /** releases sockets and timers; pending deliveries may be abandoned */
  close(): Promise<void>;
}

export const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
