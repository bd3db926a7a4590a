import type { MqttClient } from 'mqtt';
import { connectBroker } from './broker-client.ts';
import { Subject, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { Reading } from '../protocols/reading.ts';
import type { AlertEvent } from '../protocols/uplink/contract.ts';
import { ModbusTcpPoller } from './devices/modbus/tcp-poller.ts';
import type { EdgeConfig, ModbusRtuDeviceConfig, ModbusTcpDeviceConfig, MqttJsonDeviceConfig } from './config.schema.ts';
import { ModbusRtuPoller } from './devices/modbus/rtu-poller.ts';
import { gatewayAlarms } from './alarm/index.ts';
import { ProductTemperatures } from './alarm/product-temperature.ts';
import { MqttJsonDriver } from './devices/mqtt-json/driver.ts';
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
import type { StockDevices } from './devices/stock-devices.ts';
import { isStockDevice } from './devices/device-config.schema.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.ts';
import { embeddedBrokerOptions } from './broker/from-config.ts';
import { createOutputHub, type OutputHub } from './outputs/index.ts';
import { ExpectedDocumentsFeed } from './rfid/expected-feed.ts';

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
  private mqttDriver: MqttJsonDriver | undefined;
  /** device frames acknowledged after their commit, and in how many PUBACK writes */
  deviceAcks: AckPipelineStats | undefined;
  /** the device broker's drop counter → broker_dropping (an external broker that publishes one) */
  brokerDrops: BrokerDropWatch | undefined;
  private modbus: ModbusTcpPoller | undefined;
  private modbusRtu: ModbusRtuPoller | undefined;
  /** RFID portals, scales and OPC UA servers (edge/devices/stock-devices.ts); setExpected() feeds the portals' open documents */
  stock: StockDevices | undefined;
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
  /** the cloud's open documents (retained topic on the uplink broker) → the portals' matcher */
  expectedFeed: ExpectedDocumentsFeed | undefined;

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
      driverStatuses: () => ({ ...this.mqttDriver?.deviceStatuses(), ...this.modbus?.deviceStatuses(), ...this.modbusRtu?.deviceStatuses(), ...this.stock?.deviceStatuses() }),
      driverStatus: (id) => this.mqttDriver?.deviceStatus(id) ?? this.modbus?.deviceStatuses()[id] ?? this.modbusRtu?.deviceStatuses()[id] ?? this.stock?.deviceStatuses()[id],
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
      this.outbox.append([{ type: 'alert', alert }]);
      log[alert.transition === 'raised' ? 'warn' : 'info']({ alert: alert.id, rule: alert.rule, zone: alert.zone, sensor: alert.sensor }, `alert ${alert.transition}: ${alert.message}`);
      this.uplink?.notify(true);
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
      deadLetters: this.deadLetters, flushMs: cfg.uplink.flushMs, batchMaxItems: cfg.uplink.batchMaxItems, ackTimeoutMs: cfg.uplink.ackTimeoutMs,
    });
    await this.uplink.start();

    const emit = (r: Reading, deviceId?: string) => this.ingestPolled([r], deviceId);
    const mqttDevices = cfg.devices.filter((d): d is MqttJsonDeviceConfig => d.protocol === 'mqtt-json');
    const modbusDevices = cfg.devices.filter((d): d is ModbusTcpDeviceConfig => d.protocol === 'modbus-tcp');
    const rtuDevices = cfg.devices.filter((d): d is ModbusRtuDeviceConfig => d.protocol === 'modbus-rtu');
    const stockDevices = cfg.devices.filter(isStockDevice);
    // loaded only when configured: drivers for serial ports and OPC UA are heavy imports
    const StockDevicesClass = stockDevices.length ? (await import('./devices/stock-devices.ts')).StockDevices : undefined;
    const makeStock = (deviceClient: MqttClient | undefined) => new StockDevicesClass!({
      gatewayId: gw, devices: stockDevices, deviceClient, deadLetters: this.deadLetters, log: log.child({ component: 'devices' }),
      emitReading: emit,
      onMovement: (movement, state) => { this.outbox.append([{ type: 'movement', movement }], state); this.uplink?.notify(true); },
      restoredState: (key) => this.outbox.savedState(key),
      saveState: (state) => this.outbox.append([], state),
      onAlert: (a) => this.alerts.next(a),
      journal: this.outbox,
    });
    if (mqttDevices.length || stockDevices.some((d) => d.protocol === 'rfid-portal')) {
      // every driver on this connection listens before CONNACK: a persistent session's queued
      // frames arrive right after it, and a frame nobody listened to would be acknowledged and lost
      const receiveMaximum = cfg.deviceBroker.protocolVersion === 5 ? cfg.deviceBroker.receiveMaximum ?? 1000 : undefined;
      this.deviceClient = await connectBroker(cfg.deviceBroker, `stockpulse-edge-${gw}-devices`, log.child({ link: 'devices' }), {
        clean: false,
        ...(receiveMaximum ? { protocolVersion: 5, receiveMaximum } : {}),
        beforeConnect: (c) => {
          // PUBACKs after the group commit, without holding the next PUBLISH (edge/devices/deferred-ack.ts)
          this.deviceAcks = pipelineAcks(c, receiveMaximum);
          if (mqttDevices.length) this.mqttDriver = new MqttJsonDriver(c, mqttDevices, (rs, id) => this.ingest(rs, id), this.deadLetters);
          if (StockDevicesClass) this.stock = makeStock(c);
        },
      });
      await this.mqttDriver?.start();
      this.watchDeviceBroker(this.deviceClient, mqttDevices.length + stockDevices.filter((d) => d.protocol === 'rfid-portal').length);
    }
    if (modbusDevices.length) {
      this.modbus = new ModbusTcpPoller({
        devices: modbusDevices,
        onReading: emit,
        onError: (deviceId, err, sensor) => {
          log.debug({ device: deviceId, sensor, code: err.code }, err.message);
          if (sensor) this.deadLetters.add({ source: deviceId, code: err.code, reason: err.message, payload: `sensor ${sensor}` });
        },
      });
      await this.modbus.start();
    }
    if (rtuDevices.length) {
      this.modbusRtu = new ModbusRtuPoller({
        devices: rtuDevices,
        onReading: emit,
        onError: (deviceId, err, sensor) => {
          log.debug({ device: deviceId, sensor, code: err.code }, err.message);
          if (sensor) this.deadLetters.add({ source: deviceId, code: err.code, reason: err.message, payload: `sensor ${sensor}` });
        },
      });
      await this.modbusRtu.start();
    }
    if (StockDevicesClass) {
      this.stock ??= makeStock(this.deviceClient);
      await this.stock.start();
      const stock = this.stock;
      this.expectedFeed = new ExpectedDocumentsFeed({ client: this.uplinkClient, gatewayId: gw, log: log.child({ component: 'expected-documents' }), apply: (docs) => stock.setCloudExpected(docs) });
      await this.expectedFeed.start();
    }
    log.info({ gateway: gw, devices: cfg.devices.length, zones: cfg.zones.length, stream: this.outbox.stream }, 'gateway started');
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
    const kept = this.outbox.appendGrouped(all.map((reading) => ({ type: 'reading', reading })));
    // a synchronous append below (a device status change) that fails rejects `kept` too and throws
    // before the driver holds it: the driver refuses the frame, this rejection is not unhandled
    kept.catch(() => {});
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
      devices: { ...this.mqttDriver?.deviceStatuses(), ...this.modbus?.deviceStatuses(), ...this.modbusRtu?.deviceStatuses(), ...this.stock?.deviceStatuses() },
      outboxDepth: this.outbox.depth(),
      deadLetters: this.deadLetters.count(),
      readingsIn: this.readingsIn,
      alertsRaised: this.alertsRaised,
      health: this.health.snapshot(),
      uplink: {
        ...(this.uplink?.stats ?? { batchesSent: 0, batchesAcked: 0, resends: 0, rejected: 0, itemsRejected: 0 }), connected: this.uplinkClient?.connected ?? false,
        inFlightAgeSec: since === undefined ? 0 : Math.max(0, now - since) / 1000,
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
    await this.modbus?.stop();
    await this.modbusRtu?.stop();
    await this.mqttDriver?.stop();
    await this.stock?.stop();
    this.readings.complete();
    this.uplink?.notify(true);
    const until = Date.now() + drainMs;
    while (this.uplink && !this.uplink.idle() && Date.now() < until && this.uplinkClient?.connected) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of this.subs) s.unsubscribe();
    await this.expectedFeed?.stop();
    await this.uplink?.stop();
    await this.uplinkClient?.endAsync();
    await this.http?.close();
    await this.outputs?.close();
    await this.broker?.close();
    this.store?.close();
  }
}
