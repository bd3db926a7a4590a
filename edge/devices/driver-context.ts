import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceDriver } from '../../protocols/driver.ts';
import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, MovementEvent } from '../../protocols/uplink/contract.ts';
import type { DeadLetterStore } from '../dead-letters.ts';
import type { KeptState } from '../outbox/kept-state.ts';
import type { ReadJournal } from '../outbox/read-journal.ts';

// What the gateway hands a protocol adapter (edge/devices/registry.ts): where its readings,
// movements and alerts go, the store jobs it may use, and the links it may need. The adapter
// never sees the gateway itself, so a protocol is added without touching edge/gateway.ts.

/** the smallest a device config carries (the protocol's own fields are its adapter's business) */
export interface DeviceConfigLike {
  id: string;
  protocol: string;
}

export interface DriverContext {
  gatewayId: string;
  log: Logger;
  deadLetters: DeadLetterStore;
  /** device frames: resolves once the readings are kept; acknowledge the device only then */
  ingest(readings: Reading[], deviceId: string): Promise<void>;
  /** polled readings: nothing to acknowledge (a failed commit is logged, the next poll brings fresh values) */
  emitReading(reading: Reading, deviceId: string): void;
  /** `state` is kept in the same commit as the movement (a scale's booked level) */
  onMovement(movement: MovementEvent, state?: Record<string, string>): void;
  onAlert(alert: AlertEvent): void;
  /** small facts kept across a restart; saveState writes them (in a commit of their own) */
  state: KeptState & { saveState(state: Record<string, string>): void };
  /** device input acknowledged before it means anything yet (a portal's open pass) */
  journal: ReadJournal;
  /** the site's device broker connection (adapters with `deviceBroker: true`) */
  deviceClient?: MqttClient;
  /** the cloud broker connection (what the cloud pushes down, e.g. open documents) */
  uplinkClient?: MqttClient;
}

export interface ProtocolAdapter<D extends DeviceConfigLike = DeviceConfigLike> {
  /**
   * Frames come over the site's MQTT device broker: the driver is made before that
   * connection's CONNACK — a persistent session's queued frames arrive right after it, and a
   * frame nobody listened to would be acknowledged and lost.
   */
  readonly deviceBroker?: boolean;
  /** one driver for every configured device of this protocol */
  create(devices: readonly D[], ctx: DriverContext): DeviceDriver;
}
