import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { openDb, type Db } from './db/engine.ts';
import { migrate, type MigrationReport } from './db/migrate.ts';
import { MqttIngest } from './ingest/mqtt-ingest.ts';
import { ExpectedDocumentsPublisher } from './ingest/expected-publisher.ts';
import { NotificationDispatcher } from './notify/dispatcher.ts';
import { notificationTargets } from './notify/targets.ts';
import { smtpSettings } from './notify/senders.ts';
import { applyNotifySeedFile } from './notify/seed.ts';
import { buildApi } from './api/server.ts';
import { createCloudMetrics, type CloudMetrics } from './metrics.ts';
import { startReservationSweeper } from './inventory/reservations.ts';
import { startJobRunner, type JobsOption } from './jobs/start.ts';
import type { JobRunner } from './jobs/runner.ts';
import type { CloudConfig } from './config.ts';
import { startEventBus, type EventBus } from './events/bus.ts';
import { eventRoutes } from './events/sse-route.ts';
import { batchSummary } from './events/batch-summary.ts';

// The cloud process: database (migrated), MQTT ingest, notification dispatcher, REST API and
// dashboard. Stateless apart from the database, so several can run side by side.

export interface Cloud {
  db: Db;
  app: FastifyInstance;
  ingest: MqttIngest;
  /** open documents pushed down to the gateways' portals (retained, per gateway) */
  expected: ExpectedDocumentsPublisher;
  dispatcher: NotificationDispatcher;
  metrics: CloudMetrics;
  /** scheduled jobs (cloud/jobs/registry.ts) */
  jobs: JobRunner;
  /** live-update events across instances (LISTEN/NOTIFY), streamed at /api/events */
  events: EventBus;
  migration: MigrationReport;
  /** http://host:port of the API and dashboard */
  url: string;
  stop(): Promise<void>;
}

export interface StartCloudOptions {
  config: CloudConfig;
  log: Logger;
  /** pass an open database instead of opening one from config (tests, TimescaleDB PGlite) */
  db?: Db;
  extraRoutes?: FastifyPluginAsync[];
  /** the job scheduler: false = off (like STOCKPULSE_JOBS=false); an object overrides runner options (tests: clock) */
  jobs?: JobsOption;
  /** extra headers per configured webhook URL (the demo's inbox takes its admin token like every /api route) */
  webhookHeaders?: (url: string) => Record<string, string> | undefined;
}

export async function startCloud({ config, log, db: givenDb, extraRoutes, jobs: jobsOption, webhookHeaders }: StartCloudOptions): Promise<Cloud> {
  let db = givenDb;
  if (!db) {
    const dataDir = config.DATABASE_URL ? undefined : join(config.STOCKPULSE_DATA_DIR, 'cloud-pglite');
    if (dataDir) await mkdir(dataDir, { recursive: true });
    db = await openDb({ url: config.DATABASE_URL, dataDir, prepared: config.STOCKPULSE_PG_PREPARED });
  }
  const migration = await migrate(db, { timescale: config.STOCKPULSE_TIMESCALE });
  log.info({ db: db.describe(), timescale: migration.timescale, applied: migration.applied, note: migration.timescaleNote }, 'database ready');
  // notification contacts/routes kept in a file (applied by name: re-applying changes nothing)
  if (config.STOCKPULSE_NOTIFY_FILE) log.info(await applyNotifySeedFile(db, config.STOCKPULSE_NOTIFY_FILE, config.NOTIFY_FILE_ENV), 'notification contacts and routes applied');

  const metrics = createCloudMetrics({ db });
  const client: MqttClient = await mqtt.connectAsync(config.MQTT_URL, {
    protocolVersion: config.MQTT_PROTOCOL_VERSION as 4 | 5,
    clientId: `stockpulse-cloud-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    username: config.MQTT_USERNAME,
    password: config.MQTT_PASSWORD,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // no cache of 65 536 packet-id Buffers (~6 MB of heap, every full GC marking them; the
    // edge's edge/broker/packet-id-cache.ts says more)
    writeCache: false,
    // MQTT 5: the broker does not deliver packets over 16 MiB to the cloud at all; batches over the
    // ingest's own 4 MiB cap (protocols/uplink/parse.ts) still arrive, to be acked rejected
    ...(config.MQTT_PROTOCOL_VERSION === 5 ? { properties: { maximumPacketSize: 16 * 1024 * 1024 } } : {}),
  });
  // Nagle off: an ack is one small packet right after the PUBACK of the batch it answers; with
  // Nagle on it waits for that PUBACK's TCP ACK, which the broker may delay (up to 40 ms). Measured
  // (bench/fleet.ts, 50 gateways, Mosquitto with set_tcp_nodelay, load 7-11): closed loop 570-632
  // vs 415-430 batches/s, open-loop ack p50 12-14 vs 19 ms.
  const noDelay = () => (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  noDelay();
  metrics.mqttConnected.set(1);
  client.on('connect', () => { noDelay(); metrics.mqttConnected.set(1); log.info('mqtt reconnected'); });
  client.on('close', () => metrics.mqttConnected.set(0));
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));

  const dispatcher = new NotificationDispatcher({
    db, log: log.child({ component: 'notify' }),
    mqtt: { publish: async (topic, payload) => { await client.publishAsync(topic, payload, { qos: 1 }); } },
    webhookHeaders,
    // e-mail contacts (STOCKPULSE_SMTP_URL/_FROM) and the "Acknowledge: …" link in messages
    smtp: smtpSettings(config),
    escalation: { publicUrl: config.STOCKPULSE_PUBLIC_URL },
  });
  const events = await startEventBus({ db, log: log.child({ component: 'events' }) });
  const expected = new ExpectedDocumentsPublisher({ db, client, log: log.child({ component: 'expected-documents' }) });
  const ingest = new MqttIngest({
    db, client, log: log.child({ component: 'ingest' }), metrics,
    targets: notificationTargets({ webhooks: config.STOCKPULSE_WEBHOOKS.map((url) => ({ url })), mqttAlerts: config.STOCKPULSE_MQTT_ALERTS }),
    shareGroup: config.STOCKPULSE_SHARE_GROUP,
    stallAfterSec: config.STOCKPULSE_UPLINK_STALL_SEC,
    settings: config,
    groupCommit: config.STOCKPULSE_INGEST_GROUP_MAX > 1 && { maxBatches: config.STOCKPULSE_INGEST_GROUP_MAX },
    overlap: config.STOCKPULSE_INGEST_OVERLAP,
    kick: () => dispatcher.kick(),
    // the alert's deliveries go to the dispatcher's direct path (dispatcher.ts send); a pass only
    // for those not leased (a refusal's, count drift's)
    leaseDeliveries: true,
    onCommitted: (b, deliveries, leased) => {
      dispatcher.send(leased);
      if (deliveries > leased.length) dispatcher.kick();
      events.ingested(batchSummary(b)); expected.onBatch(b);
    },
    onRefused: (deliveries) => { if (deliveries > 0) dispatcher.kick(); },
  });
  // a broker refusing the subscription stops the start; leave no connection behind
  await ingest.start().catch(async (e: unknown) => { await events.stop(); await client.endAsync(); throw e; });
  expected.start();
  dispatcher.start();
  // unpaid reservations back to the pool (until the job runner exists); reserving also expires overdue holds of its item
  const sweeper = startReservationSweeper(db, log.child({ component: 'reservations' }));
  const jobs = startJobRunner({ db, log, option: jobsOption, enabled: config.STOCKPULSE_JOBS, settings: config, notify: {
    targets: notificationTargets({ webhooks: config.STOCKPULSE_WEBHOOKS.map((url) => ({ url })), mqttAlerts: config.STOCKPULSE_MQTT_ALERTS }),
    kick: () => dispatcher.kick(),
  } });

  const app = await buildApi({ db, log, metrics, mqttConnected: () => client.connected, uplink: () => ingest.health(), site: config.STOCKPULSE_SITE_NAME, jobs, settings: config, extraRoutes: [eventRoutes(events), ...(extraRoutes ?? [])] });
  const address = await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  const port = new URL(address).port;
  const url = `http://${config.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : config.HTTP_HOST}:${port}`;
  // a CLI command refused this embedded data directory is told where this API is instead
  db.advertise(url);

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await app.close();
    await ingest.stop();              // no new batches; commit and ack the ones in hand
    await jobs.stop();                // no new runs; the running ones finish and are recorded
    await dispatcher.stop();
    await expected.stop();
    await sweeper.stop();
    await events.stop();              // NOTIFY what the last batches changed, stop listening
    await client.endAsync();
    if (!givenDb) await db.close();   // PGlite flushes its data directory here
  })());
  return { db, app, ingest, expected, dispatcher, metrics, jobs, events, migration, url, stop };
}
