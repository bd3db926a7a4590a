import pino from 'pino';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { Gateway } from '../../edge/gateway.ts';
import { parseEdgeConfig } from '../../edge/config.ts';
import { MemoryOutbox } from '../../edge/outbox/memory-outbox.ts';
import { MemoryDeadLetters } from '../../edge/dead-letters.ts';
import { startCloud, type Cloud } from '../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../cloud/config.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { testDatabase, type TestDatabase } from './db.ts';
import { registerGateway } from './gateways.ts';

// The real pieces of the stock-device path, each on its own loopback socket: an aedes broker,
// the cloud (ingest, ledger, API, open-document publisher) on a test database, and the real edge
// Gateway with its portals and scales (it takes the cloud's open documents itself).

export const quiet = pino({ level: process.env.E2E_LOG ?? 'silent' });

export interface StockRig {
  tdb: TestDatabase;
  broker: EmbeddedBroker;
  cloud: Cloud;
  token: string;
  gw?: Gateway;
  api<T = any>(path: string, init?: { method?: string; body?: unknown; status?: number }): Promise<T>;
  startGateway(id: string, devices: unknown[], zones: string[]): Promise<Gateway>;
  /** a raw MQTT client on the same broker (to replay a batch as another sender would) */
  rawClient(): Promise<MqttClient>;
  stop(): Promise<void>;
}

export async function startStockRig(): Promise<StockRig> {
  const tdb = await testDatabase();
  const broker = await startEmbeddedBroker({ port: 0 });
  const cloud = await startCloud({
    config: cloudConfigFromEnv({}, { MQTT_URL: broker.url, HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', STOCKPULSE_MQTT_ALERTS: 'false', STOCKPULSE_JOBS: 'false' }),
    log: quiet, db: tdb.db, jobs: false,
  });
  const { token } = await createApiToken(tdb.db, { role: 'admin', name: 'e2e-admin', createdBy: 'test' });
  const clients: MqttClient[] = [];
  const registered = new Set<string>();
  const rig: StockRig = {
    tdb, broker, cloud, token,
    async api(path, init = {}) {
      const res = await fetch(cloud.url + path, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      const body = await res.json();
      if (res.status !== (init.status ?? 200)) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status}: ${JSON.stringify(body)}`);
      return body;
    },
    async startGateway(id, devices, zones) {
      if (!registered.has(id)) await registerGateway(tdb.db, id);
      registered.add(id);
      const config = parseEdgeConfig({
        gateway: { id, site: 'bakery' },
        deviceBroker: { url: broker.url },
        uplink: { url: broker.url, flushMs: 50, ackTimeoutMs: 5000 },
        zones: zones.map((z) => ({ id: z, name: z, profile: {} })),
        devices,
      }, {});
      const gw = new Gateway({ config, log: quiet, outbox: new MemoryOutbox(), deadLetters: new MemoryDeadLetters() });
      await gw.start();
      rig.gw = gw;
      return gw;
    },
    async rawClient() {
      const c = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
      clients.push(c);
      return c;
    },
    async stop() {
      await rig.gw?.stop(500);
      await Promise.allSettled(clients.map((c) => c.endAsync()));
      await cloud.stop();
      await broker.close();
      await tdb.cleanup();
    },
  };
  return rig;
}
