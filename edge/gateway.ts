import type { MqttClient } from 'mqtt';
import { connectBroker } from './broker-client.ts';
import { Subject, bufferTime, filter, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { Reading } from '../protocols/reading.ts';
import type { AlertEvent } from '../protocols/uplink/contract.ts';
import type { DriverStatus } from '../protocols/driver.ts';
import { ModbusTcpPoller } from '../protocols/modbus/tcp-poller.ts';
import type { EdgeConfig, ModbusTcpDeviceConfig, MqttJsonDeviceConfig } from './config.schema.ts';
import { gatewayAlarms } from './alarm/index.ts';
import { MqttJsonDriver } from './devices/mqtt-json-driver.ts';
import { MemoryDeadLetters, type DeadLetterStore } from './dead-letters.ts';
import { MemoryOutbox, type Outbox } from './uplink/outbox.ts';
import { Uplink } from './uplink/uplink.ts';
import { buildManifest } from './manifest.ts';

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

export interface GatewayStatus {
  gateway: string;
  devices: Record<string, DriverStatus>;
  outboxDepth: number;
  deadLetters: number;
  readingsIn: number;
  alertsRaised: number;
  uplink: Uplink['stats'] & { connected: boolean };
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
  private modbus: ModbusTcpPoller | undefined;
  private subs: Subscription[] = [];
  private readingsIn = 0;
  private alertsRaised = 0;

  constructor(private readonly o: GatewayOptions) {
    this.outbox = o.outbox ?? new MemoryOutbox();
    this.deadLetters = o.deadLetters ?? new MemoryDeadLetters();
  }

  async start(): Promise<void> {
    const { config: cfg, log } = this.o;
    const gw = cfg.gateway.id;
    this.outbox.append([{ type: 'manifest', manifest: buildManifest(cfg) }]);

    // Outbox first: everything the pipelines produce has somewhere to go before any device speaks.
    this.subs.push(this.readings.pipe(bufferTime(100), filter((b) => b.length > 0)).subscribe((batch) => {
      this.outbox.append(batch.map((reading) => ({ type: 'reading', reading })));
      this.uplink?.notify(false);
    }));
    this.subs.push(this.readings.pipe(gatewayAlarms(cfg)).subscribe((alert) => this.alerts.next(alert)));
    this.subs.push(this.alerts.subscribe((alert) => {
      if (alert.transition === 'raised') this.alertsRaised++;
      log[alert.transition === 'raised' ? 'warn' : 'info']({ alert: alert.id, rule: alert.rule, zone: alert.zone, sensor: alert.sensor }, `alert ${alert.transition}: ${alert.message}`);
      this.outbox.append([{ type: 'alert', alert }]);
      this.uplink?.notify(true);
      try { this.o.onAlert?.(alert); } catch (e) { log.error({ err: e }, 'local alert output failed'); }
    }));

    this.uplinkClient = await connectBroker(cfg.uplink, `stockpulse-edge-${gw}-uplink`, log.child({ link: 'uplink' }));
    this.uplink = new Uplink({
      gateway: gw, client: this.uplinkClient, outbox: this.outbox, log: log.child({ component: 'uplink' }),
      deadLetters: this.deadLetters, flushMs: cfg.uplink.flushMs, batchMaxItems: cfg.uplink.batchMaxItems, ackTimeoutMs: cfg.uplink.ackTimeoutMs,
    });
    await this.uplink.start();

    const emit = (r: Reading) => { this.readingsIn++; this.readings.next(r); };
    const mqttDevices = cfg.devices.filter((d): d is MqttJsonDeviceConfig => d.protocol === 'mqtt-json');
    const modbusDevices = cfg.devices.filter((d): d is ModbusTcpDeviceConfig => d.protocol === 'modbus-tcp');
    if (mqttDevices.length) {
      this.deviceClient = await connectBroker(cfg.deviceBroker, `stockpulse-edge-${gw}-devices`, log.child({ link: 'devices' }));
      this.mqttDriver = new MqttJsonDriver(this.deviceClient, mqttDevices, emit, this.deadLetters);
      await this.mqttDriver.start();
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
    log.info({ gateway: gw, devices: cfg.devices.length, zones: cfg.zones.length, stream: this.outbox.stream }, 'gateway started');
  }

  status(): GatewayStatus {
    return {
      gateway: this.o.config.gateway.id,
      devices: { ...this.mqttDriver?.deviceStatuses(), ...this.modbus?.deviceStatuses() },
      outboxDepth: this.outbox.depth(),
      deadLetters: this.deadLetters.count(),
      readingsIn: this.readingsIn,
      alertsRaised: this.alertsRaised,
      uplink: { ...(this.uplink?.stats ?? { batchesSent: 0, batchesAcked: 0, resends: 0, rejected: 0 }), connected: this.uplinkClient?.connected ?? false },
    };
  }

  /**
   * Stops devices first, then gives the uplink up to `drainMs` to deliver what is queued (with
   * an in-memory outbox this is the only chance), then closes the links.
   */
  async stop(drainMs = 3000): Promise<void> {
    await this.modbus?.stop();
    await this.mqttDriver?.stop();
    this.readings.complete();
    this.uplink?.notify(true);
    const until = Date.now() + drainMs;
    while (this.uplink && !this.uplink.idle() && Date.now() < until && this.uplinkClient?.connected) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of this.subs) s.unsubscribe();
    await this.uplink?.stop();
    await Promise.all([this.deviceClient?.endAsync(), this.uplinkClient?.endAsync()]);
  }
}
