import type { DriverStatus } from '../../protocols/driver.ts';
import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, DeviceStatusEvent } from '../../protocols/uplink/contract.ts';
import type { DeviceConfig, ZoneConfig } from '../config.schema.ts';
import { formatDuration } from '../alarm/messages.ts';
import { cleanId, cleanText } from '../../protocols/text.ts';

// Device health as the gateway sees it: when each device was last heard, its battery and
// signal when it reports them, and whether it is online, offline (silent for longer than
// `missedHeartbeats` × heartbeatSec) or failed (its driver reports an error, e.g. a Modbus
// controller refusing the connection).
//
// Silence raises a `device_offline` alert (cleared by the first frame after); state changes
// become DeviceStatusEvents. Both are emitted only on change, so a steady site costs nothing
// on the uplink. Pure apart from the injected clock and callbacks: the gateway calls tick()
// every second and seen() for every reading; tests step the clock.

export type DeviceState = DeviceStatusEvent['state'];

/** What health knows of one device (GET /status on the gateway, metrics). */
export interface DeviceHealthView {
  device: string;
  zone: string;
  protocol: string;
  heartbeatSec: number;
  /** undefined until the first frame, failure or silence decides it */
  state: DeviceState | undefined;
  lastSeen?: number;
  battery?: number;
  signal?: number;
  /** why it is failed, while it is (the driver's status keeps the last error and its time after a recovery) */
  error?: { code: string; message: string };
  /** id of the active device_offline alert */
  alert?: string;
}

export interface DeviceHealthOptions {
  devices: readonly DeviceConfig[];
  zones: readonly Pick<ZoneConfig, 'id' | 'name'>[];
  onAlert: (a: AlertEvent) => void;
  onStatus: (e: DeviceStatusEvent) => void;
  /** the drivers' own view per device (lastOkAt, failures, lastError); read on every tick */
  driverStatuses?: () => Readonly<Record<string, DriverStatus | undefined>>;
  /** one device's driver status: read on every reading, so it must not build the whole map */
  driverStatus?: (deviceId: string) => DriverStatus | undefined;
  /** epoch ms; injectable for tests */
  now?: () => number;
  /** silence longer than this many heartbeats is "offline" (default 3) */
  missedHeartbeats?: number;
}

interface Track {
  cfg: DeviceConfig;
  zone: string;
  zoneName: string;
  lastSeen: number | undefined;
  battery: number | undefined;
  signal: number | undefined;
  error: { code: string; message: string } | undefined;
  state: DeviceState | undefined;
  /** state + error last sent as an event; undefined = nothing sent yet */
  reported: string | undefined;
  alert: { id: string; since: number } | undefined;
  /** driver failure count at the previous tick (an MQTT frame that failed to decode is still a frame) */
  failuresSeen: number;
}

/** "SP_ERR_DEVICE: devices.x: 10.0.0.5:502 unit 1: connection refused" → "10.0.0.5:502 unit 1: connection refused" */
const readable = (e: { code: string; message: string }) => e.message.replace(/^SP_ERR_[A-Z_]+: /, '').replace(/^devices\.[^:]+: /, '');

/** heartbeat for people: "10 s", "5 min"; sub-second ones (tests, fast pollers) in ms */
const every = (sec: number) => (sec < 1 ? `${Math.round(sec * 1000)} ms` : formatDuration(sec * 1000));

export class DeviceHealth {
  private readonly tracks = new Map<string, Track>();
  private readonly bySensor = new Map<string, string>();
  private readonly now: () => number;
  private readonly missed: number;
  private startedAt: number | undefined;

  constructor(private readonly o: DeviceHealthOptions) {
    this.now = o.now ?? Date.now;
    this.missed = o.missedHeartbeats ?? 3;
    const zoneNames = new Map(o.zones.map((z) => [z.id, z.name]));
    for (const cfg of o.devices) {
      // A device belongs to the zone of its first point: that is where an operator goes to look.
      const zone = cfg.points[0]?.zone ?? 'unassigned';
      this.tracks.set(cfg.id, {
        cfg, zone, zoneName: zoneNames.get(zone) ?? zone, lastSeen: undefined, battery: undefined, signal: undefined,
        error: undefined, state: undefined, reported: undefined, alert: undefined, failuresSeen: 0,
      });
      for (const p of cfg.points) this.bySensor.set(p.sensor, cfg.id);
    }
  }

  /** Starts the silence clocks: a device never heard from is offline 3 heartbeats after this. */
  start(): void {
    this.startedAt = this.now();
  }

  /**
   * A reading arrived from a device (deviceId as the driver names it; else found by sensor).
   * Evaluated at once, so the first frame after a silence clears the alert without waiting for
   * the next tick.
   */
  seen(reading: Reading, deviceId?: string): void {
    const t = this.tracks.get(deviceId ?? this.bySensor.get(reading.sensor) ?? '');
    if (!t) return;
    const at = this.now();
    t.lastSeen = Math.max(t.lastSeen ?? 0, at);
    if (reading.kind === 'battery') t.battery = reading.value;
    else if (reading.kind === 'signal') t.signal = reading.value;
    this.evaluate(t, at, this.o.driverStatus ? this.o.driverStatus(t.cfg.id) : this.o.driverStatuses?.()[t.cfg.id]);
  }

  /** Re-evaluates every device against the clock and the drivers' statuses. */
  tick(): void {
    const at = this.now();
    const drivers = this.o.driverStatuses?.() ?? {};
    for (const t of this.tracks.values()) this.evaluate(t, at, drivers[t.cfg.id]);
  }

  snapshot(): Record<string, DeviceHealthView> {
    return Object.fromEntries([...this.tracks.values()].map((t) => [t.cfg.id, {
      device: t.cfg.id, zone: t.zone, protocol: t.cfg.protocol, heartbeatSec: t.cfg.heartbeatSec, state: t.state,
      ...(t.lastSeen !== undefined ? { lastSeen: t.lastSeen } : {}),
      ...(t.battery !== undefined ? { battery: t.battery } : {}),
      ...(t.signal !== undefined ? { signal: t.signal } : {}),
      ...(t.error ? { error: { ...t.error } } : {}),
      ...(t.alert ? { alert: t.alert.id } : {}),
    }]));
  }

  private evaluate(t: Track, at: number, drv: DriverStatus | undefined): void {
    if (this.startedAt === undefined) this.startedAt = at;
    if (drv?.lastOkAt !== undefined && drv.lastOkAt > (t.lastSeen ?? 0)) t.lastSeen = Math.min(drv.lastOkAt, at);
    // An MQTT frame that did not decode still proves the device is alive (it is dead-lettered and
    // counted by the driver); a failed Modbus poll proves nothing, it is the absence of an answer.
    if (drv && t.cfg.protocol === 'mqtt-json' && drv.failures > t.failuresSeen) t.lastSeen = at;
    t.failuresSeen = drv?.failures ?? 0;

    // failed only while the error is the latest evidence: an error older than the last good
    // exchange is history (issue #13: a balance read FAILED for ever on a startup error)
    const failing = drv !== undefined && drv.failures > 0 && drv.lastError !== undefined
      && !(drv.lastErrorAt !== undefined && drv.lastOkAt !== undefined && drv.lastOkAt > drv.lastErrorAt);
    // a driver's error often quotes what the device sent (a decoder's "Unexpected token"): made
    // storable here, where it enters the uplink, or one NUL stops the site (issue #11)
    // …and shown only while it is the device's state; the driver's status keeps it as history
    t.error = failing ? { code: cleanId(String(drv.lastError!.code)), message: cleanText(drv.lastError!.message) } : undefined;
    const silentSince = t.lastSeen ?? this.startedAt;
    const limitMs = this.missed * t.cfg.heartbeatSec * 1000;
    const silent = at - silentSince > limitMs;

    if (silent && !t.alert) this.raise(t, at, silentSince, limitMs, failing ? t.error : undefined);
    else if (!silent && t.alert) this.clear(t, at);

    // Failed beats offline: it says why the device is silent.
    t.state = failing ? 'failed' : silent ? 'offline' : t.lastSeen !== undefined ? 'online' : undefined;
    if (t.state === undefined) return; // not decided yet: nothing to report
    const key = t.state === 'failed' ? `failed:${t.error?.code}:${t.error?.message}` : t.state;
    if (key === t.reported) return;
    t.reported = key;
    this.o.onStatus({
      device: t.cfg.id, ts: at, state: t.state,
      ...(t.lastSeen !== undefined ? { lastSeen: t.lastSeen } : {}),
      ...(t.battery !== undefined ? { battery: t.battery } : {}),
      ...(t.signal !== undefined ? { signal: t.signal } : {}),
      ...(t.state === 'failed' && t.error ? { error: { ...t.error } } : {}),
    });
  }

  private label(t: Track): string {
    return t.cfg.name ? `${t.cfg.name} (${t.cfg.id})` : t.cfg.id;
  }

  private raise(t: Track, at: number, since: number, limitMs: number, error: Track['error']): void {
    // Same id shape as the zone rules (zone:rule:sensor-or-device:ts), so ids stay unique and readable.
    t.alert = { id: `${t.zone}:device_offline:${t.cfg.id}:${at}`, since };
    const heard = t.lastSeen === undefined ? 'not heard from since the gateway started' : `silent for ${formatDuration(at - since)}`;
    this.o.onAlert({
      id: t.alert.id, transition: 'raised', rule: 'device_offline', zone: t.zone, severity: 'warning', ts: at, since,
      value: Math.round((at - since) / 1000), threshold: limitMs / 1000,
      message: `${t.zoneName}: device ${this.label(t)} offline — ${heard} (expected every ${every(t.cfg.heartbeatSec)})${error ? `: ${readable(error)}` : ''}`,
    });
  }

  private clear(t: Track, at: number): void {
    const a = t.alert!;
    t.alert = undefined;
    this.o.onAlert({
      id: a.id, transition: 'cleared', rule: 'device_offline', zone: t.zone, severity: 'warning', ts: at, since: a.since,
      value: Math.round((at - a.since) / 1000),
      message: `${t.zoneName}: device ${this.label(t)} back online after ${formatDuration(at - a.since)} of silence`,
    });
  }
}
