import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { connectBroker } from '../broker-client.ts';
import type { BrokerLinkConfig } from '../broker/config.schema.ts';
import type { AlarmOutput } from './types.ts';

// Publishes each zone's active alarms on the SITE broker (`<prefix>/<zone>`), not through the
// cloud, so a wall panel or a PLC on the LAN sees them with the uplink down. The message is
// retained while anything is active, so a panel that connects later still sees it; when the
// zone's last alarm clears, an empty retained message removes it (connected panels receive the
// empty payload as "zone clear").

export interface MqttAlertOptions {
  name: string;
  link: BrokerLinkConfig;
  topicPrefix: string;
  qos: 0 | 1 | 2;
  gateway: { id: string; site: string };
  log: Logger;
}

export interface ZoneAlarmMessage {
  type: 'stockpulse.local-alerts';
  gateway: string;
  site: string;
  zone: string;
  /** ISO time of the transition that produced this message */
  at: string;
  /** the transition that produced this message */
  last: AlertEvent;
  /** every alarm of the zone still active, oldest first */
  active: AlertEvent[];
}

export class MqttAlertOutput implements AlarmOutput {
  readonly type = 'mqtt';
  readonly name: string;
  private client: MqttClient | undefined;
  private ready: Promise<MqttClient> | undefined;
  private readonly active = new Map<string, Map<string, AlertEvent>>();
  private published = 0;

  constructor(private readonly o: MqttAlertOptions) {
    this.name = o.name;
  }

  topic(zone: string): string {
    return `${this.o.topicPrefix}/${zone}`;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private connect(): Promise<MqttClient> {
    return (this.ready ??= connectBroker(this.o.link, `stockpulse-edge-${this.o.gateway.id}-local-alerts`, this.o.log.child({ output: this.name }))
      .then((c) => (this.client = c)));
  }

  async deliver(a: AlertEvent): Promise<void> {
    // The zone's state changes now, in arrival order; the publish may wait for the broker.
    const zone = this.active.get(a.zone) ?? new Map<string, AlertEvent>();
    this.active.set(a.zone, zone);
    if (a.transition === 'raised') zone.set(a.id, a);
    else zone.delete(a.id);
    const message: ZoneAlarmMessage | undefined = zone.size === 0 ? undefined : {
      type: 'stockpulse.local-alerts', gateway: this.o.gateway.id, site: this.o.gateway.site, zone: a.zone,
      at: new Date(a.ts).toISOString(), last: a, active: [...zone.values()],
    };
    const client = this.client ?? (await this.connect());
    await client.publishAsync(this.topic(a.zone), message ? JSON.stringify(message) : '', { qos: this.o.qos, retain: true });
    this.published++;
  }

  status(): Record<string, unknown> {
    let activeAlarms = 0;
    for (const z of this.active.values()) activeAlarms += z.size;
    return { connected: this.client?.connected ?? false, published: this.published, activeAlarms };
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true).catch(() => {});
  }
}
