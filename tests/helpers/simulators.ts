import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { connect, type MqttClient } from 'mqtt';

// A real MQTT broker (aedes) in this process on a free loopback port, and a subscriber that
// records raw frames: the simulators are tested over the wire, never through mocks.

export interface TestBroker {
  url: string;
  close(): Promise<void>;
}

export async function startBroker(): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Frame {
  topic: string;
  payload: Buffer;
}

export interface Recorder {
  client: MqttClient;
  frames: Frame[];
  on(topic: string): Frame[];
  /** resolves once `pred` holds for the frames of `topic`, or rejects after timeoutMs */
  waitFor(topic: string, pred: (frames: Frame[]) => boolean, timeoutMs?: number): Promise<Frame[]>;
  close(): Promise<void>;
}

export async function record(url: string, filter: string): Promise<Recorder> {
  const client = connect(url, { clientId: `test-rec-${Math.random().toString(16).slice(2)}` });
  await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject); });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    frames.push({ topic, payload: Buffer.from(payload) });
    for (const w of waiters) w();
  });
  await client.subscribeAsync(filter, { qos: 0 });
  const on = (topic: string) => frames.filter((f) => f.topic === topic);
  return {
    client,
    frames,
    on,
    waitFor(topic, pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(on(topic))) { waiters.delete(check); clearTimeout(t); resolve(on(topic)); }
        };
        const t = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting on ${topic} (${on(topic).length} frames)`)); }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: async () => { await client.endAsync(); },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** JSON object or undefined for a frame that is not one (what a strict decoder rejects). */
export function parseObject(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
