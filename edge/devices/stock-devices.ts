import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Subject, type Subscription } from 'rxjs';
import type { DeviceDriver, DriverStatus } from '../../protocols/driver.ts';
import { SpError } from '../../protocols/errors.ts';
import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, MovementEvent } from '../../protocols/uplink/contract.ts';
import type { WeightSample } from '../../protocols/scale/weight-sample.ts';
import { SerialScaleDriver } from './scale/serial-scale-driver.ts';
import { ModbusScaleDriver } from './scale/modbus-scale-driver.ts';
import type { DeadLetterStore } from '../dead-letters.ts';
import { PortalConfig } from '../rfid/portal-config.ts';
import { portalPipeline } from '../rfid/portal-pipeline.ts';
import { DocumentMatcher } from '../rfid/pass-to-movements.ts';
import type { ExpectedDocument } from '../rfid/expected-documents.ts';
import type { Pass } from '../rfid/pass-tracker.ts';
import { WeighTracker } from '../scale/weigh-tracker.ts';
import { ScaleTuning } from '../scale/scale-config.ts';
import { RfidReaderDriver } from './rfid-portal/reader-driver.ts';
import type { ReadJournal } from '../outbox/read-journal.ts';
import type { ModbusScaleDeviceConfig, RfidPortalDeviceConfig, SerialScaleDeviceConfig, StockDeviceConfig } from './device-config.schema.ts';

// The gateway's stock-moving devices, composed: RFID portals (MQTT → passes → receipts,
// shipments, exceptions), scales (serial or Modbus → weight readings + consumption/refill
// movements) and OPC UA servers (→ readings for the cold-chain pipeline). One failing device
// never stops the others; each driver retries on its own.

export interface StockDevicesOptions {
  gatewayId: string;
  devices: readonly StockDeviceConfig[];
  /** the device broker client (needed when there are portals) */
  deviceClient?: MqttClient;
  deadLetters: DeadLetterStore;
  log: Logger;
  emitReading: (r: Reading, deviceId: string) => void;
  /** `state` must be kept in the same commit as the movement (see Outbox.append) */
  onMovement: (m: MovementEvent, state?: Record<string, string>) => void;
  /** what saveState / onMovement kept before a restart */
  restoredState?: (key: string) => string | undefined;
  saveState?: (state: Record<string, string>) => void;
  onAlert: (a: AlertEvent) => void;
  /** the edge store's journal: portal reads kept until their pass is booked (Outbox) */
  journal?: ReadJournal;
}

export { isStockDevice } from './device-config.schema.ts';

const EXPECTED_STATE = 'cloud-expected-documents';

export class StockDevices {
  /** every closed portal pass (dashboard: dock activity) */
  readonly passes = new Subject<Pass>();
  readonly matcher: DocumentMatcher;
  private readonly drivers = new Map<string, DeviceDriver>();
  private rfid: RfidReaderDriver | undefined;
  private subs: Subscription[] = [];

  constructor(private readonly o: StockDevicesOptions) {
    this.matcher = new DocumentMatcher(o.gatewayId);
    // made now, not in start(): on a persistent session the broker delivers what it queued for
    // the readers right after the connection comes up, which may be before start()
    const portals = o.devices.filter((d): d is RfidPortalDeviceConfig => d.protocol === 'rfid-portal');
    if (portals.length && o.deviceClient) {
      const journal = o.journal;
      this.rfid = new RfidReaderDriver(o.deviceClient, portals, o.deadLetters, undefined, journal ? (id, reads) => journal.journalAdd(id, reads) : undefined);
    }
  }

  /** Replaces the open documents portals match against (config at start; the cloud later). */
  setExpected(docs: readonly ExpectedDocument[]): void {
    this.matcher.setExpected(docs);
  }

  /** what the cloud pushed last (edge/rfid/expected-feed.ts): replaces the cloud's list, keeps the config's documents */
  setCloudExpected(docs: readonly ExpectedDocument[], keep = true): void {
    // kept in the edge store: after a restart the journal's passes are matched against the list
    // the cloud sent last, even before (or without) the uplink coming back
    if (keep) this.o.saveState?.({ [EXPECTED_STATE]: JSON.stringify(docs) });
    const configured = this.o.devices.flatMap((d) => (d.protocol === 'rfid-portal' ? d.expected : []));
    const ids = new Set(docs.map((d) => d.id));
    this.matcher.setExpected([...configured.filter((d) => !ids.has(d.id)), ...docs]);
  }

  async start(): Promise<void> {
    const { devices, log } = this.o;
    const portals = devices.filter((d): d is RfidPortalDeviceConfig => d.protocol === 'rfid-portal');
    if (portals.length) {
      if (!this.rfid) throw new SpError('SP_ERR_CONFIG', { field: 'deviceBroker', reason: 'RFID portals need the device broker client' }, 'RFID portals need the device broker client');
      const rfid = this.rfid;
      const journal = this.o.journal;
      this.matcher.setExpected(portals.flatMap((p) => p.expected));
      const lastCloudList = this.o.restoredState?.(EXPECTED_STATE);
      if (lastCloudList) this.setCloudExpected(JSON.parse(lastCloudList) as ExpectedDocument[], false);
      const clear = (portalId: string, upTo: number) => {
        try {
          journal?.journalClear(portalId, upTo);
        } catch (e) {
          log.error({ err: e, portal: portalId }, 'clearing the portal journal failed; its reads stay and are looked at again');
        }
      };
      for (const p of portals) {
        const portal = PortalConfig.parse({
          id: p.id, zone: p.zone, ...(p.bin ? { bin: p.bin } : {}), readers: [{ device: p.id, outside: p.outside, inside: p.inside }],
          direction: p.direction, passGapMs: p.passGapMs, dedupeWindowMs: p.dedupeWindowMs, minReads: p.minReads, minRssi: p.minRssi, maxDwellMs: p.maxDwellMs,
        });
        const pipe = portalPipeline({ portal, gatewayId: this.o.gatewayId, matcher: this.matcher });
        let current = { failed: false };
        this.subs.push(rfid.reads.pipe(pipe.operator).subscribe((out) => {
          try {
            if (out.type === 'pass') {
              log.info({ portal: p.id, pass: out.pass.id, direction: out.pass.direction, tags: out.pass.tags.length }, 'portal pass');
              this.passes.next(out.pass);
              // the pass's movements and alerts follow synchronously and are appended (kept) by
              // then; its reads may go — unless appending one failed: then they stay for the
              // next start. (A crash before the clear replays them: same pass id, same
              // movement and alert ids, which the cloud has already.)
              const pass = (current = { failed: false });
              const upTo = out.pass.endedAt;
              if (journal) queueMicrotask(() => { if (!pass.failed) clear(p.id, upTo); });
            } else if (out.type === 'movement') this.o.onMovement(out.movement);
            else this.o.onAlert(out.alert);
          } catch (e) {
            current.failed = true;
            throw e;
          }
        }));
        if (journal) {
          // Reads the tracker let go without a pass (strays, a tag lying in the field, a pallet
          // lingering in the quiet window after its pass) need no keeping once nothing is open —
          // and must not be replayed into a fresh tracker that no longer knows they were quiet.
          // Cleared as soon as the tracker is idle, at most every 250 ms.
          let lastTs = 0;
          let clearedAt = 0;
          const sweep = () => {
            if (!pipe.tracker.idle || !lastTs || Date.now() - clearedAt < 250) return;
            clearedAt = Date.now();
            clear(p.id, lastTs);
          };
          this.subs.push(rfid.reads.subscribe((r) => { if (r.reader === p.id) { lastTs = Math.max(lastTs, r.ts); sweep(); } }));
          const timer = setInterval(sweep, 1000);
          this.subs.push({ unsubscribe: () => clearInterval(timer) } as Subscription);
        }
      }
      // what was read but not yet booked before a restart (and what arrived since the connection came up)
      if (journal) for (const p of portals) for (const r of journal.journal(p.id)) rfid.reads.next(r);
      await rfid.start();
    }
    // node-opcua takes a second to load (and warns on import): only when an OPC UA device is configured
    const opcua = devices.some((d) => d.protocol === 'opcua') ? (await import('./opcua/subscription-driver.ts')).OpcUaSubscriptionDriver : undefined;
    for (const d of devices) {
      if (d.protocol === 'serial-scale' || d.protocol === 'modbus-scale') this.drivers.set(d.id, this.scale(d));
      else if (d.protocol === 'opcua' && opcua) {
        this.drivers.set(d.id, new opcua({ id: d.id, endpoint: d.endpoint, samplingMs: d.samplingMs, points: d.points, onReading: this.o.emitReading, onError: this.onError }));
      }
    }
    await Promise.all([...this.drivers.values()].map((drv) => drv.start()));
  }

  private onError = (deviceId: string, err: SpError, sensor?: string) => {
    this.o.log.debug({ device: deviceId, sensor, code: err.code }, err.message);
    if (err.code === 'SP_ERR_DECODE' || err.code === 'SP_ERR_TOO_LARGE') this.o.deadLetters.add({ source: deviceId, code: err.code, reason: err.message, payload: sensor ? `sensor ${sensor}` : '' });
  };

  private scale(d: SerialScaleDeviceConfig | ModbusScaleDeviceConfig): DeviceDriver {
    const point = d.points[0]!;
    const tuning = ScaleTuning.parse({ ...d.weighing, zone: d.weighing.zone ?? point.zone });
    // The booked level survives a restart, kept in the same commit as the movement that moved
    // it: goods taken while the gateway was down are booked once it is back (not absorbed into a
    // fresh baseline), and a movement already kept is never booked twice.
    const key = `scale-booked:${d.id}`;
    const restored = Number(this.o.restoredState?.(key) ?? NaN);
    const tracker = new WeighTracker(d.id, tuning, Number.isFinite(restored) ? restored : undefined);
    let kept = tracker.state().bookedNetKg;
    const onSample = (s: WeightSample) => {
      if (s.kg !== undefined) this.o.emitReading({ sensor: point.sensor, kind: 'weight', ts: s.ts, value: s.kg, quality: s.stable ? 'good' : 'uncertain' }, d.id);
      for (const m of tracker.ingest(s)) {
        const booked = tracker.state().bookedNetKg;
        if (m.type === 'count' || booked === undefined) this.o.onMovement(m);
        else {
          this.o.onMovement(m, { [key]: String(booked) });
          kept = booked;
        }
      }
      const booked = tracker.state().bookedNetKg;
      if (booked !== undefined && booked !== kept) { // the first stable level: the baseline
        kept = booked;
        this.o.saveState?.({ [key]: String(booked) });
      }
    };
    if (d.protocol === 'serial-scale') {
      return new SerialScaleDriver({ id: d.id, path: d.path, baudRate: d.baudRate, dataBits: d.dataBits, parity: d.parity, stopBits: d.stopBits, mode: d.mode, pollMs: d.pollMs, timeoutMs: d.timeoutMs, onSample, onError: this.onError });
    }
    return new ModbusScaleDriver({ id: d.id, host: d.host, port: d.port, unitId: d.unitId, pollMs: d.pollMs, timeoutMs: d.timeoutMs, layout: d.layout, onSample, onError: this.onError });
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return { ...this.rfid?.deviceStatuses(), ...Object.fromEntries([...this.drivers].map(([id, drv]) => [id, drv.status()])) };
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.drivers.values()].map((d) => d.stop()));
    // with a journal an open pass is NOT closed at stop (that would book half a pallet): its
    // reads stay journaled and the next start picks the pass up
    if (this.o.journal) for (const s of this.subs) s.unsubscribe();
    await this.rfid?.stop();
    for (const s of this.subs) s.unsubscribe();
    this.passes.complete();
  }
}
