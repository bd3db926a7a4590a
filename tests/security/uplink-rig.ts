import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCloud, type Cloud } from '../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../cloud/config.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/broker/embedded-broker.ts';
import { topics, type UplinkAck } from '../../protocols/uplink/contract.ts';
import { testDatabase, type TestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/net.ts';

// A real cloud on a real database behind a real aedes broker, and a raw MQTT client that can say
// anything on any gateway's topic — the attacker of issue #11 with broker access (the broker-side
// binding of topics to credentials is tested on its own in broker-acl.test.ts). Acks of every
// gateway are collected, as an attacker reading the ack topics would.

export interface UplinkRig {
  tdb: TestDatabase;
  broker: EmbeddedBroker;
  cloud: Cloud;
  raw: MqttClient;
  acks: UplinkAck[];
  api<T = any>(path: string, init?: { method?: string; body?: unknown; token?: string }): Promise<{ status: number; json: T }>;
  token(role: string): Promise<string>;
  /** publishes a batch on `gateway`'s topic and waits for the cloud's ack of that (stream, seq) */
  send(gateway: string, batch: Record<string, unknown>): Promise<UplinkAck>;
  stop(): Promise<void>;
}

export async function startUplinkRig(before?: (tdb: TestDatabase) => Promise<void>): Promise<UplinkRig> {
  const tdb = await testDatabase();
  await before?.(tdb);
  const broker = await startEmbeddedBroker({ port: 0 });
  const cloud = await startCloud({
    config: cloudConfigFromEnv({}, { MQTT_URL: broker.url, HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', STOCKPULSE_MQTT_ALERTS: 'false', STOCKPULSE_JOBS: 'false' }),
    log: pino({ level: 'silent' }), db: tdb.db, jobs: false,
  });
  const { token: admin } = await createApiToken(tdb.db, { role: 'admin', name: 'security-admin', createdBy: 'test' });
  const raw = await mqtt.connectAsync(broker.url, { clientId: `attacker-${process.pid}` });
  const acks: UplinkAck[] = [];
  raw.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await raw.subscribeAsync(topics.ack('+'), { qos: 1 });
  const rig: UplinkRig = {
    tdb, broker, cloud, raw, acks,
    async api(path, init = {}) {
      const res = await fetch(cloud.url + path, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${init.token ?? admin}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: res.status, json: await res.json() };
    },
    async token(role) {
      return (await createApiToken(tdb.db, { role, name: `security-${role}`, createdBy: 'test' })).token;
    },
    async send(gateway, batch) {
      const n = acks.length;
      await raw.publishAsync(topics.batch(gateway), JSON.stringify({ v: 1, gateway, sentAt: Date.now(), readings: [], alerts: [], ...batch }), { qos: 1 });
      return waitFor(() => acks.slice(n).find((a) => a.gateway === gateway && a.stream === batch.stream && a.seq === batch.seq), `ack of ${gateway} ${String(batch.stream)}/${String(batch.seq)}`);
    },
    async stop() {
      await raw.endAsync();
      await cloud.stop();
      await broker.close();
      await tdb.cleanup();
    },
  };
  return rig;
}
