import { describe, expect, it } from 'vitest';
import type { DriverStatus } from '../../../protocols/driver.ts';
import { AlertEvent, DeviceStatusEvent } from '../../../protocols/uplink/contract.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { DeviceHealth } from '../../../edge/health/index.ts';

// Device health on a stepped clock: silence past 3 heartbeats → offline + one device_offline
// alert; the first frame after → online + the alert cleared; events only on change.

const T0 = 1_790_000_000_000;
const config = parseEdgeConfig({
  gateway: { id: 'gw-h', site: 'site-h' },
  deviceBroker: { url: 'mqtt://127.0.0.1:1' },
  uplink: { url: 'mqtt://127.0.0.1:1' },
  zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 } }, { id: 'freezer', name: 'Freezer', profile: { high: -18 } }],
  devices: [
    {
      id: 'probe-1', name: 'Shelf probe', protocol: 'mqtt-json', topic: 'h/probe-1', heartbeatSec: 10,
      points: [
        { sensor: 'chiller-t1', zone: 'chiller', kind: 'temperature' },
        { sensor: 'chiller-t1-battery', zone: 'chiller', kind: 'battery' },
        { sensor: 'chiller-t1-rssi', zone: 'chiller', kind: 'signal' },
      ],
    },
    {
      id: 'freezer-ctrl', protocol: 'modbus-tcp', host: '127.0.0.1', port: 15999, heartbeatSec: 2,
      points: [{ sensor: 'freezer-t1', zone: 'freezer', kind: 'temperature', register: { address: 0, type: 'float32' } }],
    },
  ],
}, {});

function harness() {
  let now = T0;
  const alerts: AlertEvent[] = [];
  const events: DeviceStatusEvent[] = [];
  const drivers: Record<string, DriverStatus> = {};
  const health = new DeviceHealth({
    devices: config.devices, zones: config.zones, now: () => now,
    onAlert: (a) => alerts.push(AlertEvent.parse(a)),          // what the uplink will carry must be valid
    onStatus: (e) => events.push(DeviceStatusEvent.parse(e)),
    driverStatuses: () => drivers,
  });
  health.start();
  const frame = (sensor: string, kind: 'temperature' | 'battery' | 'signal', value: number) =>
    health.seen({ sensor, kind, value, ts: now, quality: 'good' }, sensor.startsWith('freezer') ? 'freezer-ctrl' : 'probe-1');
  /** advance the clock second by second, ticking like the gateway does */
  const step = (sec: number) => {
    for (let i = 0; i < sec; i++) { now += 1000; health.tick(); }
  };
  return { health, alerts, events, drivers, frame, step, at: () => now };
}

describe('device health', () => {
  it('goes offline after 3 heartbeats of silence, raises one alert, and clears it on the next frame', () => {
    const h = harness();
    h.frame('chiller-t1', 'temperature', 4.1);
    h.frame('chiller-t1-battery', 'battery', 87);
    h.frame('chiller-t1-rssi', 'signal', -71);
    expect(h.events.filter((e) => e.device === 'probe-1')).toEqual([{ device: 'probe-1', ts: T0, state: 'online', lastSeen: T0 }]);

    // frames every 10 s (its heartbeat) keep it online: no new events, no alerts
    for (let i = 0; i < 6; i++) { h.step(10); h.frame('chiller-t1', 'temperature', 4.2); }
    const lastFrame = h.at();
    expect(h.events.filter((e) => e.device === 'probe-1')).toHaveLength(1);
    expect(h.alerts.filter((a) => a.message.includes('probe-1'))).toEqual([]);

    // silent: exactly 30 s is still within 3 heartbeats; the next second is not
    h.step(30);
    expect(h.health.snapshot()['probe-1']!.state).toBe('online');
    h.step(1);
    const offline = h.events.filter((e) => e.device === 'probe-1').at(-1)!;
    expect(offline).toMatchObject({ state: 'offline', lastSeen: lastFrame, battery: 87, signal: -71 });
    const raised = h.alerts.filter((a) => a.id.includes('probe-1'));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      transition: 'raised', rule: 'device_offline', zone: 'chiller', severity: 'warning', since: lastFrame, threshold: 30, value: 31,
    });
    expect(raised[0]!.sensor).toBeUndefined();
    expect(raised[0]!.message).toBe('Chiller: device Shelf probe (probe-1) offline — silent for 31 s (expected every 10 s)');

    // a long silence changes nothing more
    h.step(600);
    expect(h.events.filter((e) => e.device === 'probe-1')).toHaveLength(2);
    expect(h.alerts.filter((a) => a.id.includes('probe-1'))).toHaveLength(1);

    // the first frame after clears at once, with the same id
    h.frame('chiller-t1', 'temperature', 4.3);
    const probeAlerts = h.alerts.filter((a) => a.id.includes('probe-1'));
    expect(probeAlerts).toHaveLength(2);
    expect(probeAlerts[1]).toMatchObject({ id: raised[0]!.id, transition: 'cleared', since: lastFrame, ts: h.at() });
    expect(probeAlerts[1]!.message).toBe('Chiller: device Shelf probe (probe-1) back online after 11 min of silence');
    expect(h.events.filter((e) => e.device === 'probe-1').map((e) => e.state)).toEqual(['online', 'offline', 'online']);
    expect(h.health.snapshot()['probe-1']).toMatchObject({ state: 'online', lastSeen: h.at(), battery: 87, signal: -71 });
    expect(h.health.snapshot()['probe-1']!.alert).toBeUndefined();
  });

  it('a device never heard from is reported once, as offline, 3 heartbeats after start', () => {
    const h = harness();
    h.step(6);
    expect(h.events.filter((e) => e.device === 'freezer-ctrl')).toEqual([]); // undecided: nothing to say yet
    h.step(1);
    expect(h.events.filter((e) => e.device === 'freezer-ctrl')).toEqual([{ device: 'freezer-ctrl', ts: T0 + 7000, state: 'offline' }]);
    const a = h.alerts.find((x) => x.id.includes('freezer-ctrl'))!;
    expect(a).toMatchObject({ zone: 'freezer', since: T0, transition: 'raised' });
    expect(a.message).toContain('not heard from since the gateway started');
  });

  it('a driver failure (Modbus connection refused) is state failed with the error, then online on the next good poll', () => {
    const h = harness();
    const refused = { code: 'SP_ERR_DEVICE', message: 'SP_ERR_DEVICE: devices.freezer-ctrl: 127.0.0.1:15999 unit 1: connection refused' };
    h.drivers['freezer-ctrl'] = { state: 'failed', failures: 1, reconnects: 0, lastError: refused };
    h.step(1);
    expect(h.events.filter((e) => e.device === 'freezer-ctrl')).toEqual([{ device: 'freezer-ctrl', ts: T0 + 1000, state: 'failed', error: refused }]);
    // retries keep failing: more failures, same state, no new event; silence still raises the alert
    h.drivers['freezer-ctrl'] = { state: 'failed', failures: 5, reconnects: 0, lastError: refused };
    h.step(10);
    expect(h.events.filter((e) => e.device === 'freezer-ctrl')).toHaveLength(1);
    const raised = h.alerts.filter((a) => a.id.includes('freezer-ctrl'));
    expect(raised.map((a) => a.transition)).toEqual(['raised']);
    expect(raised[0]!.message).toBe('Freezer: device freezer-ctrl offline — not heard from since the gateway started (expected every 2 s): 127.0.0.1:15999 unit 1: connection refused');

    // the controller answers again: the poller says running with a fresh lastOkAt
    h.drivers['freezer-ctrl'] = { state: 'running', failures: 0, reconnects: 1, lastOkAt: h.at(), lastError: refused };
    h.step(1);
    const ev = h.events.filter((e) => e.device === 'freezer-ctrl');
    expect(ev.map((e) => e.state)).toEqual(['failed', 'online']);
    expect(ev[1]!.error).toBeUndefined();
    expect(h.alerts.filter((a) => a.id.includes('freezer-ctrl')).map((a) => a.transition)).toEqual(['raised', 'cleared']);
  });

  it('an MQTT frame that does not decode still counts as heard (the device is alive), and marks it failed', () => {
    const h = harness();
    h.frame('chiller-t1', 'temperature', 4);
    h.step(25);
    // garbage frames: the driver counts failures and keeps the decode error
    h.drivers['probe-1'] = { state: 'running', failures: 1, reconnects: 0, lastOkAt: T0, lastError: { code: 'SP_ERR_DECODE', message: 'temperature: not a number' } };
    h.step(1);
    h.drivers['probe-1'] = { ...h.drivers['probe-1']!, failures: 2 };
    h.step(20); // 46 s after the last good frame, but a frame 20 s ago: not silent
    expect(h.alerts.filter((a) => a.id.includes('probe-1'))).toEqual([]);
    expect(h.events.filter((e) => e.device === 'probe-1').map((e) => e.state)).toEqual(['online', 'failed']);
    expect(h.health.snapshot()['probe-1']!.error).toEqual({ code: 'SP_ERR_DECODE', message: 'temperature: not a number' });
  });
});
