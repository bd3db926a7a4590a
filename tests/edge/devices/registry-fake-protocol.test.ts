import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeviceDriver, DriverStatus } from '../../../protocols/driver.ts';
import { Gateway } from '../../../edge/gateway.ts';
import type { GatewayStatus } from '../../../edge/gateway-status.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import type { EdgeConfig } from '../../../edge/config.schema.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import type { DriverContext } from '../../../edge/devices/driver-context.ts';
import { knownProtocols, registerProtocol } from '../../../edge/devices/registry.ts';
import { waitFor } from '../../helpers/net.ts';
import { parsePrometheus, sample } from '../../helpers/prometheus-text.ts';
import { quietLog, RecordingOutbox, startEmbeddedBroker, type EmbeddedBroker } from './helpers/gateway-rig.ts';

// Issue #15: adding a protocol touches its own folder and one registry line. Here a protocol the
// gateway has never heard of is registered from the test alone — no change to edge/gateway.ts,
// the HTTP server or the metrics — and its device shows up in /status and /metrics, its
// readings reach the outbox and its failure reaches device health.

interface BeaconDevice { id: string; protocol: 'test-beacon'; heartbeatSec: number; points: { sensor: string; zone: string; kind: 'temperature' }[] }

/** a device that "speaks" by timer: one temperature every 50 ms, or a failure when told */
class BeaconDriver implements DeviceDriver {
  readonly id = 'test-beacon';
  private timer: NodeJS.Timeout | undefined;
  private readonly st = new Map<string, DriverStatus>();
  failing = false;

  constructor(private readonly devices: readonly BeaconDevice[], private readonly ctx: DriverContext) {
    for (const d of devices) this.st.set(d.id, { state: 'starting', failures: 0, reconnects: 0 });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const d of this.devices) {
        const s = this.st.get(d.id)!;
        if (this.failing) {
          Object.assign(s, { state: 'failed', failures: s.failures + 1, lastError: { code: 'SP_ERR_DEVICE', message: 'beacon: battery out' }, lastErrorAt: now });
          continue;
        }
        Object.assign(s, { state: 'running', failures: 0, lastOkAt: now });
        this.ctx.emitReading({ sensor: d.points[0]!.sensor, kind: 'temperature', ts: now, value: 4.5, quality: 'good' }, d.id);
      }
    }, 50);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const s of this.st.values()) s.state = 'stopped';
  }

  status(): DriverStatus {
    return { state: 'running', failures: 0, reconnects: 0 };
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return Object.fromEntries([...this.st].map(([id, s]) => [id, { ...s }]));
  }
}

let broker: EmbeddedBroker | undefined;
let gw: Gateway | undefined;
let unregister: (() => void) | undefined;
let driver: BeaconDriver | undefined;

afterAll(async () => {
  await gw?.stop(0);
  await broker?.close();
  unregister?.();
});

describe('a protocol registered from outside the gateway', () => {
  it('its device appears in /status and /metrics, its readings in the outbox, its failure in device health', async () => {
    expect(knownProtocols()).not.toContain('test-beacon');
    unregister = registerProtocol<BeaconDevice>('test-beacon', { create: (devices, ctx) => (driver = new BeaconDriver(devices, ctx)) });
    expect(knownProtocols()).toContain('test-beacon');

    broker = await startEmbeddedBroker();
    const base = parseEdgeConfig({
      gateway: { id: 'gw-beacon', site: 'bakery' },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 50, ackTimeoutMs: 60_000 },
      http: { port: 0, host: '127.0.0.1' },
      zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 } }],
      devices: [],
    }, {});
    // the config schema does not know the protocol (that is the point): the device is added to the parsed config
    const beacon: BeaconDevice = { id: 'beacon-1', protocol: 'test-beacon', heartbeatSec: 60, points: [{ sensor: 'beacon-1-t', zone: 'chiller', kind: 'temperature' }] };
    const config = { ...base, devices: [...base.devices, beacon as unknown as EdgeConfig['devices'][number]] } as EdgeConfig;
    const outbox = new RecordingOutbox();
    gw = new Gateway({ log: quietLog, outbox, deadLetters: new MemoryDeadLetters(), config });
    await gw.start();

    const status = async () => (await (await fetch(`${gw!.httpUrl}/status`)).json()) as GatewayStatus;
    const metrics = async () => parsePrometheus(await (await fetch(`${gw!.httpUrl}/metrics`)).text());

    await waitFor(() => outbox.appended.some((e) => e.type === 'reading' && e.reading.sensor === 'beacon-1-t'), 'beacon readings in the outbox');
    const ok = await waitFor(async () => { const s = await status(); return s.health['beacon-1']?.state === 'online' ? s : undefined; }, 'beacon online');
    expect(ok.devices['beacon-1']).toMatchObject({ state: 'running', failures: 0 });
    expect(ok.health['beacon-1']).toMatchObject({ protocol: 'test-beacon', zone: 'chiller' });
    let m = await metrics();
    expect(sample(m, 'stockpulse_edge_device_status', { device: 'beacon-1', state: 'online' })).toBe(1);
    expect(sample(m, 'stockpulse_edge_readings_in_total')).toBeGreaterThan(0);

    driver!.failing = true;
    const failed = await waitFor(async () => { const s = await status(); return s.health['beacon-1']?.state === 'failed' ? s : undefined; }, 'beacon failed');
    expect(failed.devices['beacon-1']!.lastError).toEqual({ code: 'SP_ERR_DEVICE', message: 'beacon: battery out' });
    m = await metrics();
    expect(sample(m, 'stockpulse_edge_device_status', { device: 'beacon-1', state: 'failed' })).toBe(1);
    expect(outbox.appended.filter((e) => e.type === 'device' && e.device.device === 'beacon-1').map((e) => e.type === 'device' && e.device.state)).toEqual(['online', 'failed']);
  }, 30_000);

  it('edge/gateway.ts names no protocol: every driver comes from the registry', () => {
    const src = readFileSync(new URL('../../../edge/gateway.ts', import.meta.url), 'utf8');
    for (const p of knownProtocols()) expect(src, p).not.toContain(p);
    for (const word of ['Modbus', 'Opc', 'Rfid', 'Scale', 'MqttJson', 'portal']) expect(src, word).not.toMatch(new RegExp(word, 'i'));
  });
});
