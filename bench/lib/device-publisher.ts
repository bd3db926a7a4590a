import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';

// Device-side load for the real path: QoS 1 readings `{sensor, ts, value}`, one topic per sensor,
// sent either by ONE bridge connection for every sensor (zigbee2mqtt, a LoRa network server) or
// by one connection per device. Every message is counted once the broker PUBACKed it: the time
// returned is first publish → last PUBACK, the broker's ceiling for this publisher. With a rate,
// the sensors report on a schedule instead (a site's devices do not wait for the gateway): reading
// k of a connection is sent no earlier than k ÷ its share of the rate after the start.

export interface PublishPlan {
  url: string;
  /** topic of sensor i: `${prefix}/s-${i}` */
  prefix: string;
  sensors: number;
  perSensor: number;
  /** 'bridge': one connection for all sensors; 'devices': one connection per sensor */
  mode: 'bridge' | 'devices';
  /** QoS 1 messages a connection keeps unacknowledged (the publisher's own window) */
  window?: number;
  /** value of reading j of sensor i (default: a deterministic 2..8 °C saw-tooth) */
  value?: (i: number, j: number) => number;
  /** first reading's ts (ms); reading j is ts0 + j (unique per sensor, so a copy is visible as one) */
  ts0?: number;
  /** readings per second offered by all connections together; unset: as fast as the broker acks */
  rate?: number;
}

// A paced connection sleeps only once it is this far ahead of its schedule: 200 connections each
// waking per reading would cost the publisher more CPU than the readings themselves.
const PACE_SLACK_MS = 10;
// mqtt.js corks a connection's socket until the next tick: a connection that published its whole
// window without yielding kept every other connection, and its own frames, off the wire until all
// 200 had queued theirs (100 000 frames, ~0.8 s in which the broker received nothing). Each
// connection lets the others go after this many frames, as separate devices would: 10 cost the
// publisher alone a fifth of its rate in write calls, 50 and 200 nothing measurable.
const YIELD_EVERY = 50;

export interface PublishResult {
  published: number;
  /**
   * performance.now() of the first publish, after every connection is up: a path's clock starts
   * here. Connecting 200 clients took from 50 ms to over 1 s (a SYN the broker's accept queue
   * dropped is sent again after the kernel's 1 s timeout), and a clock started before them
   * charged that to the path.
   */
  firstPublishAt: number;
  /** first publish → last PUBACK */
  ms: number;
}

export const sensorTopic = (prefix: string, i: number) => `${prefix}/s-${i}`;
export const sensorId = (i: number) => `s-${i}`;

async function connect(url: string, clientId: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
  return c;
}

/** publishes everything; resolves when the broker has acknowledged every message */
export async function publishReadings(p: PublishPlan): Promise<PublishResult> {
  const window = p.window ?? 500;
  const ts0 = p.ts0 ?? Date.now();
  const value = p.value ?? ((i, j) => 2 + ((i + j) % 60) / 10);
  const groups: number[][] = p.mode === 'bridge'
    ? [[...Array(p.sensors).keys()]]
    : [...Array(p.sensors).keys()].map((i) => [i]);
  const clients = await Promise.all(groups.map((_, g) => connect(p.url, `bench-pub-${process.pid}-${g}-${Date.now()}`)));
  const t0 = performance.now();
  let published = 0;
  await Promise.all(groups.map(async (sensors, g) => {
    const c = clients[g]!;
    const inFlight = new Set<Promise<unknown>>();
    const msPerReading = p.rate ? (1000 * p.sensors) / (p.rate * sensors.length) : 0;
    let k = 0;
    // interleave sensors like a bridge does: reading j of every sensor, then j + 1
    for (let j = 0; j < p.perSensor; j++) {
      for (const i of sensors) {
        const ahead = k * msPerReading - (performance.now() - t0);
        if (ahead >= PACE_SLACK_MS) await sleep(ahead);
        else if (groups.length > 1 && k % YIELD_EVERY === 0 && k > 0) await turn();
        k++;
        const pr = c.publishAsync(sensorTopic(p.prefix, i), JSON.stringify({ sensor: sensorId(i), ts: ts0 + j, value: value(i, j) }), { qos: 1 })
          .then(() => { published++; inFlight.delete(pr); });
        inFlight.add(pr);
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
  }));
  const ms = performance.now() - t0;
  await Promise.all(clients.map((c) => c.endAsync()));
  return { published, firstPublishAt: t0, ms };
}
