import type { MqttClient } from 'mqtt';
import { connectBroker } from './broker-client.ts';
import { Subject, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { Reading } from '../protocols/reading.ts';
import type { AlertEvent } from '../protocols/uplink/contract.ts';
import type { EdgeConfig } from './config.schema.ts';
import type { DeviceDriver, DriverStatus } from '../protocols/driver.ts';
import { gatewayAlarms } from './alarm/index.ts';
import { ProductTemperatures } from './alarm/product-temperature.ts';
import { pipelineAcks, type AckPipelineStats } from './devices/deferred-ack.ts';
import { BrokerDropWatch } from './broker/drop-watch.ts';
import { queueLimitWarnings } from './broker/queue-limits.ts';
import type { DeadLetterStore } from './dead-letters.ts';
import type { Outbox } from './outbox/memory-outbox.ts';
import { openEdgeStore, type EdgeStore } from './outbox/store.ts';
import { Uplink } from './uplink/uplink.ts';
import { stalledForMs, UplinkStallWatch } from './uplink/stall.ts';
import { buildManifest } from './manifest.ts';
import { DeviceHealth } from './health/index.ts';
import type { GatewayStatus } from './gateway-status.ts';
import { countAcknowledged, createEdgeMetrics, type EdgeMetrics } from './metrics.ts';
import { startEdgeHttp, type EdgeHttp } from './http/server.ts';
import { adaptersFor } from './devices/registry.ts';
import type { DriverContext } from './devices/driver-context.ts';
import { documentsView, type DocumentsView } from './devices/documents-view.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.ts';
import { embeddedBrokerOptions } from './broker/from-config.ts';
import { createOutputHub, type OutputHub } from './outputs/index.ts';

export type { GatewayStatus } from './gateway-status.ts';

// The gateway process: drivers → readings stream → (alarm rules, outbox) → uplink.
// Alarms are evaluated here, not in the cloud, so they fire with the link down; the alerts then
// travel the same outbox as the readings and reach the cloud once, with their own times.

export interface GatewayOptions {
  config: EdgeConfig;
  log: Logger;
  outbox?: Outbox;
  deadLetters?: DeadLetterStore;
  /** alert transitions as they happen (local outputs: siren, LAN webhook, console) */
  onAlert?: (a: AlertEvent) => void;
}

export class Gateway {
  readonly readings = new Subject<Reading>();
  readonly alerts = new Subject<AlertEvent>();
  readonly outbox: Outbox;
  readonly deadLetters: DeadLetterStore;
  private deviceClient: MqttClient | undefined;
  private uplinkClient: MqttClient | undefined;
  private uplink: Uplink | undefined;
  /** one driver per configured protocol (edge/devices/registry.ts), by protocol */
  readonly drivers = new Map<string, DeviceDriver>();
  /** device id → the driver serving it */
  private readonly driverOf = new Map<string, DeviceDriver>();
  /** device frames acknowledged after their commit, and in how many PUBACK writes */
  deviceAcks: AckPipelineStats | undefined;
  /** the device broker's drop counter → broker_dropping (an external broker that publishes one) */
  brokerDrops: BrokerDropWatch | undefined;
  private subs: Subscription[] = [];
  /** zones with `product`: each air probe's simulated product temperature (edge/alarm/product-temperature.ts) */
  private readonly products: ProductTemperatures;
  private readingsIn = 0;
  private alertsRaised = 0;
  /** last seen, battery, signal and online/offline/failed of every configured device */
  readonly health: DeviceHealth;
  readonly metrics: EdgeMetrics;
  /** http://host:port serving GET /metrics and GET /status, when config `http` is set */
  httpUrl: string | undefined;
  private http: EdgeHttp | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly stallWatch: UplinkStallWatch;
  private readingsOut = 0;
  /** the SQLite store this gateway opened itself (closed in stop) */
  private store: EdgeStore | undefined;
  /** the devices' broker when config `broker` asks the gateway to host it */
  broker: EmbeddedBroker | undefined;
  private outputs: OutputHub | undefined;

  constructor(private readonly o: GatewayOptions) {
    // Durable by default: outbox and dead letters in <storage.dir>/<gateway id>.sqlite, so
    // nothing the cloud has not acknowledged is lost to a restart (tests may pass memory ones).
    if (!o.outbox || !o.deadLetters) this.store = openEdgeStore(o.config, o.log.child({ component: 'outbox' }));
    this.outbox = o.outbox ?? this.store!.outbox;
    this.deadLetters = o.deadLetters ?? this.store!.deadLetters;
    this.products = new ProductTemperatures(o.config);
    // Health alerts take the same path as the zone rules' (outbox + local outputs); status
    // changes go up as `device` entries.
    this.health = new DeviceHealth({
      devices: o.config.devices, zones: o.config.zones,
      onAlert: (a) => this.alerts.next(a),
      onStatus: (device) => { this.outbox.append([{ type: 'device', device }]); this.uplink?.notify(false); },
      driverStatuses: () => this.deviceStatuses(),
      driverStatus: (id) => this.deviceStatus(id),
    });
    this.stallWatch = new UplinkStallWatch({ gateway: o.config.gateway.id, stallAfterMs: (o.config.uplink.stallAfterSec ?? 120) * 1000 });
    const self = this;
    this.metrics = createEdgeMetrics({
      gateway: o.config.gateway.id, status: () => this.status(), get outbox() { return self.outbox; }, readingsOut: () => this.readingsOut,
      uplinkReconnects: () => (this.uplinkClient as { stats?: { reconnects?: number } } | undefined)?.stats?.reconnects ?? 0,
    });
  }

  async start(): Promise<void> {
    const { config: cfg, log } = this.o;
    const gw = cfg.gateway.id;
    this.outbox.append([{ type: 'manifest', manifest: buildManifest(cfg) }]);
    // The site's broker and the local alarm outputs come before anything that can raise an
    // alert, and depend on nothing cloud-side: they work with the uplink down.
    if (cfg.broker?.enabled) {
      this.broker = await startEmbeddedBroker(embeddedBrokerOptions(cfg, log.child({ component: 'broker' })));
      log.info({ url: this.broker.url, auth: cfg.broker.auth === 'none' ? 'none' : 'users' }, 'embedded device broker up');
    }
    this.outputs = await createOutputHub(cfg, log.child({ component: 'outputs' }));

    this.subs.push(this.readings.pipe(gatewayAlarms(cfg)).subscribe((alert) => this.alerts.next(alert)));
    this.subs.push(this.alerts.subscribe((alert) => {
      if (alert.transition === 'raised') this.alertsRaised++;
      // kept before it is told: an alert that was logged or sounded is always in the outbox
      // sent before it is logged: the log line is not on the alarm's way to the cloud (issue #12)
      if (this.uplink) this.uplink.appendUrgent([{ type: 'alert', alert }]);
      else this.outbox.append([{ type: 'alert', alert }]);
      log[alert.transition === 'raised' ? 'warn' : 'info']({ alert: alert.id, rule: alert.rule, zone: alert.zone, sensor: alert.sensor }, `alert ${alert.transition}: ${alert.message}`);
      try { this.o.onAlert?.(alert); } catch (e) { log.error({ err: e }, 'local alert output failed'); }
      this.outputs?.push(alert);
    }));
    if (cfg.http) {
      this.http = await startEdgeHttp({ port: cfg.http.port, host: cfg.http.host, registry: this.metrics.registry, status: () => this.status(), log: log.child({ component: 'http' }) });
      this.httpUrl = this.http.url;
      log.info({ url: this.httpUrl }, 'gateway metrics and status served');
    }
    this.health.start();
    this.healthTimer = setInterval(() => {
      this.health.tick();
      // raised through the alert path: local outputs see it with the cloud unreachable, and it
      // reaches the cloud (behind what is stuck) once the stream moves again
      if (this.uplink) {
        const a = this.stallWatch.check(this.stallView(), Date.now());
        if (a) this.alerts.next(a);
      }
    }, 1000);

    this.uplinkClient = await connectBroker(cfg.uplink, `stockpulse-edge-${gw}-uplink`, log.child({ link: 'uplink' }));
    this.uplink = new Uplink({
      gateway: gw, client: this.uplinkClient, outbox: countAcknowledged(this.outbox, (n) => { this.readingsOut += n; }), log: log.child({ component: 'uplink' }),
      deadLetters: this.deadLetters, flushMs: cfg.uplink.flushMs, batchMaxItems: cfg.uplink.batchMaxItems, ackTimeoutMs: cfg.uplink.ackTimeoutMs, window: cfg.uplink.window,
    });
    await this.uplink.start();

    await this.startDrivers();
    log.info({ gateway: gw, devices: cfg.devices.length, zones: cfg.zones.length, stream: this.outbox.stream }, 'gateway started');
  }

  /**
   * Every configured protocol's driver, built in one loop from the registry. Drivers whose
   * frames come over the device broker are made inside its connect (before CONNACK: a
   * persistent session's queued frames arrive right after it, and a frame nobody listened to
   * would be acknowledged and lost); the others after it. Started in config order.
   */
  private async startDrivers(): Promise<void> {
    const { config: cfg, log } = this.o;
    const gw = cfg.gateway.id;
    const groups = await adaptersFor(cfg.devices);
    const ctx: DriverContext = {
      gatewayId: gw, log, deadLetters: this.deadLetters,
      ingest: (rs, id) => this.ingest(rs, id),
      emitReading: (r, id) => this.ingestPolled([r], id),
      onMovement: (movement, state) => { this.outbox.append([{ type: 'movement', movement }], state); this.uplink?.notify(true); },
      onAlert: (a) => this.alerts.next(a),
      state: { savedState: (key) => this.outbox.savedState(key), saveState: (state) => this.outbox.append([], state) },
      journal: this.outbox,
      uplinkClient: this.uplinkClient,
    };
    const make = (g: (typeof groups)[number], deviceClient?: MqttClient) => {
      const driver = g.adapter.create(g.devices, { ...ctx, log: log.child({ component: 'devices', protocol: g.protocol }), deviceClient });
      this.drivers.set(g.protocol, driver);
      for (const d of g.devices) this.driverOf.set(d.id, driver);
    };
    const onBroker = groups.filter((g) => g.adapter.deviceBroker);
    if (onBroker.length) {
      // every driver on this connection listens before CONNACK: a persistent session's queued
      // frames arrive right after it, and a frame nobody listened to would be acknowledged and lost
      const receiveMaximum = cfg.deviceBroker.protocolVersion === 5 ? cfg.deviceBroker.receiveMaximum ?? 1000 : undefined;
      this.deviceClient = await connectBroker(cfg.deviceBroker, `stockpulse-edge-${gw}-devices`, log.child({ link: 'devices' }), {
        clean: false,
        ...(receiveMaximum ? { protocolVersion: 5, receiveMaximum } : {}),
        beforeConnect: (c) => {
          // PUBACKs after the group commit, without holding the next PUBLISH (edge/devices/deferred-ack.ts)
          this.deviceAcks = pipelineAcks(c, receiveMaximum);
          for (const g of onBroker) make(g, c);
        },
      });
      this.watchDeviceBroker(this.deviceClient, onBroker.reduce((n, g) => n + g.devices.length, 0));
    }
    for (const g of groups) if (!g.adapter.deviceBroker) make(g, this.deviceClient);
    for (const g of groups) await this.drivers.get(g.protocol)!.start();
  }

  /** per configured device, what its driver last proved (GET /status `devices`) */
  deviceStatuses(): Record<string, DriverStatus> {
    return Object.assign({}, ...[...this.drivers.values()].map((d) => d.deviceStatuses())) as Record<string, DriverStatus>;
  }

  private deviceStatus(id: string): DriverStatus | undefined {
    const d = this.driverOf.get(id);
    return d?.deviceStatus ? d.deviceStatus(id) : d?.deviceStatuses()[id];
  }

  /**
   * The device statuses and the open documents devices match against, in one place (what tests and the
   * demo look at); undefined when no device is configured.
   */
  get stock(): DocumentsView | undefined {
    return this.drivers.size ? documentsView(this) : undefined;
  }

  /**
   * An external device broker drops QoS 1 frames silently once its per-client queue is full:
   * the limits the site declared are checked against its declared load (also `edge --check`),
   * and the broker's own drop counter raises `broker_dropping` (edge/broker/drop-watch.ts).
   */
  private watchDeviceBroker(client: MqttClient, devices: number): void {
    const { config: cfg, log } = this.o;
    const embedded = Boolean(cfg.broker?.enabled);
    for (const w of queueLimitWarnings(cfg.deviceBroker, devices, embedded)) log.warn({ path: w.path }, w.message);
    const watch = cfg.deviceBroker.watch;
    if (embedded || watch?.droppedTopic === false) return;
    this.brokerDrops = new BrokerDropWatch({
      client, broker: new URL(cfg.deviceBroker.url).host, site: cfg.gateway.site,
      ...(watch?.droppedTopic ? { topic: watch.droppedTopic } : {}),
      quietMs: (watch?.quietSec ?? 300) * 1000, log: log.child({ component: 'broker-drops' }),
      onAlert: (a) => this.alerts.next(a),
      load: (k) => this.outbox.savedState(k),
      save: (k, v) => this.outbox.append([], { [k]: v }),
    });
    this.brokerDrops.start();
  }

  /**
   * Readings enter here. They are staged in the outbox's group commit, then counted, shown to
   * device health and handed to the alarm rules; the returned promise resolves once they are on
   * disk, and a driver acknowledges the device's frame (MQTT PUBACK) only then. Frames arriving
   * together share one commit. An alert a reading raises is appended with a synchronous commit
   * that takes the staged readings first, so an alert is never kept without its reading.
   */
  ingest(readings: Reading[], deviceId?: string): Promise<void> {
    if (!readings.length) return Promise.resolve();
    // a simulated product temperature travels with the air reading it was derived from
    const all = this.products.withProducts(readings);
    // a synchronous append below (a device status change) that fails rejects `kept` too and throws
    // before the driver holds it: the driver refuses the frame (the outbox's promise is never an
    // unhandled rejection by itself, queue.ts)
    const kept = this.outbox.appendGrouped(all.map((reading) => ({ type: 'reading', reading })));
    this.uplink?.notify(false);
    for (const r of all) {
      this.readingsIn++;
      if (r.kind !== 'product_temperature') this.health.seen(r, deviceId);
      this.readings.next(r);
    }
    return kept;
  }

  /** for polled devices (nothing to acknowledge): a failed commit is logged, the next poll brings fresh values */
  private ingestPolled(readings: Reading[], deviceId?: string): void {
    this.ingest(readings, deviceId).catch((err) => this.o.log.error({ err, device: deviceId }, 'readings could not be stored'));
  }

  private stallView() {
    return { depth: this.outbox.depth(), oldestAt: this.outbox.oldestAt(), lastAdvanceAt: this.uplink?.lastAdvanceAt ?? Date.now() };
  }

  status(): GatewayStatus {
    const now = Date.now();
    const stallAfterSec = this.o.config.uplink.stallAfterSec ?? 120;
    const stalledForSec = this.uplink ? stalledForMs(this.stallView(), now) / 1000 : 0;
    const since = this.uplink?.inFlightSince();
    const oldest = this.outbox.oldestAt();
    return {
      status: stalledForSec >= stallAfterSec ? 'degraded' : 'ok',
      gateway: this.o.config.gateway.id,
      devices: this.deviceStatuses(),
      outboxDepth: this.outbox.depth(),
      deadLetters: this.deadLetters.count(),
      readingsIn: this.readingsIn,
      alertsRaised: this.alertsRaised,
      health: this.health.snapshot(),
      uplink: {
        ...(this.uplink?.stats ?? { batchesSent: 0, batchesAcked: 0, resends: 0, rejected: 0, gaps: 0, itemsRejected: 0 }), connected: this.uplinkClient?.connected ?? false,
        inFlightAgeSec: since === undefined ? 0 : Math.max(0, now - since) / 1000,
        inFlightBatches: this.uplink?.inFlightBatches() ?? 0,
        oldestUnackedSec: oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000,
        stalledForSec, stallAfterSec,
      },
      ...(this.outputs ? { outputs: this.outputs.status() } : {}),
    };
  }

  /**
   * Stops devices first, then gives the uplink up to `drainMs` to deliver what is queued (with
   * an in-memory outbox this is the only chance), then closes the links.
   */
  async stop(drainMs = 3000): Promise<void> {
    clearInterval(this.healthTimer);
    // The device connection goes first, forcibly: no frame arrives after the drivers stop
    // listening (it would be acknowledged unkept), no UNSUBSCRIBE empties the persistent
    // session (the broker keeps queueing for us while we are down), and frames whose commit
    // is still pending get no PUBACK — the broker redelivers them on the next start.
    this.brokerDrops?.stop();
    await this.deviceClient?.endAsync(true);
    for (const d of this.drivers.values()) await d.stop();
    this.readings.complete();
    this.uplink?.notify(true);
    const until = Date.now() + drainMs;
    while (this.uplink && !this.uplink.idle() && Date.now() < until && this.uplinkClient?.connected) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of this.subs) s.unsubscribe();
    await this.uplink?.stop();
    await this.uplinkClient?.endAsync();
    await this.http?.close();
    await this.outputs?.close();
    await this.broker?.close();
    this.store?.close();
  }
}
