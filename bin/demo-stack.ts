import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Logger } from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../edge/broker/embedded-broker.ts';
import { parseEdgeConfig } from '../edge/config.ts';
import { Gateway } from '../edge/gateway.ts';
import { startCloud, type Cloud } from '../cloud/cloud.ts';
import { CloudEnv, cloudConfigFromEnv } from '../cloud/config.ts';
import { startScenario, FAULTS, type ScenarioHandle } from '../simulators/index.ts';
import { scenarioEdgeConfig } from './scenario-edge-config.ts';
import { faultsFor } from '../simulators/faults.ts';
import { freePortRange } from '../simulators/free-port.ts';
import type { Db } from '../cloud/db/engine.ts';
import { SpError } from '../protocols/errors.ts';
import { createApiToken, revokeApiTokensNamed } from '../cloud/auth/tokens.ts';
import { getScenario } from '../simulators/scenarios/index.ts';
import { seedDemoStock } from './demo-seed.ts';
import { seedColdStock } from './demo-cold-stock.ts';
import { jobs as registeredJobs } from '../cloud/jobs/registry.ts';
import { exposureJob } from '../cloud/rules/exposure/job.ts';
import { demoGatewayCredential, uplinkBrokerSecurity } from './uplink-broker.ts';
import { CLOUD_BROKER_USER } from '../cloud/gateways/registry.ts';
import { randomBytes } from 'node:crypto';

// The whole system in one process on embedded defaults: aedes broker, PGlite under ./data,
// the bakery simulator, one edge gateway and the cloud. This is the composition root, the one
// place that may import edge/, cloud/ and simulators/ together.

export interface DemoOptions {
  log: Logger;
  httpPort: number;
  httpHost?: string;
  /** 0 = any free port */
  mqttPort: number;
  dataDir: string;
  databaseUrl?: string;
  /** an already open database (tests) */
  db?: Db;
  scenario?: string;
  publishMs?: number;
  timeScale?: number;
  /** dock portal / scales: one demo step (pallet in, silo draw, bench load…) every this many ms; 0 = none (default 20 s) */
  stockActivityMs?: number;
  /** alarm delay for every zone, seconds (the demo shortens the production 5–10 min) */
  delaySec?: number;
  webhooks?: string[];
  /** record webhook calls in the demo's own inbox (/api/demo/webhook-inbox) */
  inbox?: boolean;
}

export interface DemoStack {
  url: string;
  mqttUrl: string;
  broker: EmbeddedBroker;
  sim: ScenarioHandle;
  gateway: Gateway;
  cloud: Cloud;
  inbox: { at: number; body: unknown }[];
  /** an admin API token made for this demo run (the previous run's is revoked) */
  token: string;
  /** the dashboard URL carrying that token (the page keeps it in localStorage) */
  dashboardUrl: string;
  stop(): Promise<void>;
}

const FaultBody = z.object({ target: z.string().min(1), fault: z.enum(FAULTS), active: z.boolean() });

function simRoutes(sim: () => ScenarioHandle | undefined): FastifyPluginAsync {
  return async (app) => {
    const view = () => {
      const st = sim()!.status();
      return {
        scenario: st.scenario,
        // each target with the faults that fit it (a room's door and compressor, a device's link)
        targets: [
          ...st.zones.map((z) => ({ id: z.id, kind: 'zone' as const, faults: [...faultsFor('zone')] })),
          ...st.devices.map((d) => ({ id: d.id, kind: 'device' as const, faults: [...faultsFor('device')] })),
        ],
        faults: [...FAULTS],
        active: st.faults.map((f) => ({ target: f.target, fault: f.fault })),
      };
    };
    app.get('/api/sim', { schema: { tags: ['demo'], summary: 'simulator targets and active faults (demo only)' } }, async () => view());
    app.post('/api/sim/faults', { schema: { tags: ['demo'], summary: 'switch a simulated fault on or off (demo only)', body: FaultBody } }, async (req) => {
      const body = req.body as z.infer<typeof FaultBody>;
      const targets = view().targets;
      const target = targets.find((t) => t.id === body.target);
      if (!target) throw new SpError('SP_ERR_VALIDATION', { field: 'body.target', reason: `unknown target "${body.target}" (known: ${targets.map((t) => t.id).join(', ')})` });
      if (!target.faults.includes(body.fault)) {
        throw new SpError('SP_ERR_VALIDATION', { field: 'body.fault', reason: `"${body.fault}" does not fit ${target.kind === 'zone' ? 'a room' : 'a device'} like "${target.id}" (it may have: ${target.faults.join(', ')})` });
      }
      sim()!.setFault(body.target, body.fault, body.active);
      return view();
    });
  };
}

function inboxRoutes(inbox: DemoStack['inbox'], log: Logger): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/demo/webhook-inbox', { schema: { tags: ['demo'], summary: 'a webhook receiver for the demo: logs and keeps the last 50 calls' } }, async (req) => {
      inbox.unshift({ at: Date.now(), body: req.body });
      inbox.splice(50);
      const a = (req.body as { transition?: string; alert?: { message?: string } }) ?? {};
      log.warn(`webhook received: ${a.transition ?? '?'} — ${a.alert?.message ?? JSON.stringify(req.body)}`);
      return { ok: true };
    });
    app.get('/api/demo/webhook-inbox', { schema: { tags: ['demo'], summary: 'webhook calls received by the demo inbox, newest first' } }, async () => inbox);
  };
}

export async function startDemoStack(o: DemoOptions): Promise<DemoStack> {
  const log = o.log;
  // uplink topics bound to credentials (bin/uplink-broker.ts); the cloud's password lives for this run only
  const cloudPassword = randomBytes(24).toString('base64url');
  let registry: Db | undefined;
  const broker = await startEmbeddedBroker({ port: o.mqttPort, security: uplinkBrokerSecurity(cloudPassword, () => registry) });
  log.info({ url: broker.url }, 'embedded MQTT broker up');
  const inbox: DemoStack['inbox'] = [];
  // made once the cloud has its database (below); a webhook before then is retried by the notifier
  let demoToken: string | undefined;
  let sim: ScenarioHandle | undefined;

  const host = o.httpHost ?? '127.0.0.1';
  // The inbox URL must be known before the cloud starts; with port 0 we learn it after, so the
  // inbox target is added as a webhook on the fixed port only.
  const selfInbox = o.inbox !== false && o.httpPort !== 0 ? [`http://127.0.0.1:${o.httpPort}/api/demo/webhook-inbox`] : [];
  const config = cloudConfigFromEnv(demoEnv(process.env), {
    HTTP_PORT: String(o.httpPort),
    HTTP_HOST: host,
    MQTT_URL: broker.url,
    MQTT_USERNAME: CLOUD_BROKER_USER,
    MQTT_PASSWORD: cloudPassword,
    STOCKPULSE_DATA_DIR: o.dataDir,
    ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
    STOCKPULSE_WEBHOOKS: [...selfInbox, ...(o.webhooks ?? [])].join(','),
    STOCKPULSE_SITE_NAME: 'Bakery (demo)',
  });
  // a refused start (the data directory held by another process) leaves no broker listening
  const timeScale = o.timeScale ?? 30;
  const cloud = await startCloud({
    config, log: log.child({ part: 'cloud' }), db: o.db,
    // the exposure rule every minute instead of every 15: on the demo's time scale a compressor
    // failure breaks the (scaled) chilled allowance within minutes, and the quarantine should follow
    jobs: { jobs: registeredJobs.map((j) => (j.name === exposureJob.name ? { ...j, schedule: '* * * * *' } : j)) },
    extraRoutes: [simRoutes(() => sim), inboxRoutes(inbox, log.child({ part: 'inbox' }))],
    // the inbox is an /api route like any other: the notifier brings the demo admin token
    webhookHeaders: (url) => (selfInbox.includes(url) && demoToken ? { authorization: `Bearer ${demoToken}` } : undefined),
  }).catch(async (e: unknown) => { await broker.close(); throw e; });

  // the stock devices' master data (items with GTINs, bins, an open PO) before the gateway
  // connects, so the open PO is pushed down to it with its first batch
  const stockSpec = getScenario(o.scenario ?? 'bakery').stock;
  if (stockSpec) {
    const seeded = await seedDemoStock(cloud.db, stockSpec);
    log.info({ purchaseOrder: seeded.purchaseOrder, created: seeded.created }, 'demo stock master data ready; the dock portal expects the open purchase order');
    // dairy in the chiller, dough in the freezer, three months of sales behind them
    const cold = await seedColdStock(cloud.db, { now: new Date(), timeScale });
    if (cold.created) log.info({ lots: cold.lots, shipments: cold.shipments }, 'demo cold stock seeded (chiller and freezer lots, sales history)');
    // near-expiry statuses and the reorder suggestion are there when the pages first open
    // (the scheduler may be catching up the same job at this moment: its lock says so, we wait)
    for (const job of ['expiry-sweep', 'replenishment']) {
      for (let tries = 0; ; tries++) {
        const r = await cloud.jobs.runNow(job, { actor: 'demo' });
        if (r.ran || tries >= 40) { if (!r.ran) log.warn({ job, reason: r.reason }, 'demo start: job did not run'); break; }
        await new Promise((res) => setTimeout(res, 250));
      }
    }
  }

  // The gateway starts before the simulated devices so it hears their first frames (a door
  // contact reports its state once at start, then only on change or heartbeat).
  const publishMs = o.publishMs ?? 2000;
  // the scenario's Modbus devices listen on modbusPort, modbusPort + 1, … (room for 8)
  const modbusPort = await freePortRange(8);
  const delaySec = o.delaySec ?? 60;
  // the demo registers its own gateway (one command): its credential is kept beside its outbox
  registry = cloud.db;
  const gatewayId = getScenario(o.scenario ?? 'bakery').gatewayId;
  const credential = await demoGatewayCredential(cloud.db, gatewayId, join(o.dataDir, 'edge', 'gateway-credential.json'));
  const scenarioConfig = scenarioEdgeConfig(o.scenario ?? 'bakery', {
    mqttUrl: broker.url, modbusPort, publishMs, pollMs: publishMs,
    alarm: { delaySec, doorGraceSec: Math.min(60, delaySec) }, stock: true,
    // the freezer's defrost schedule on the simulator's time scale: its defrosts hold the high alarm
    timeScale,
  });
  const edgeConfig = parseEdgeConfig({
    ...scenarioConfig,
    uplink: { ...scenarioConfig.uplink, username: gatewayId, password: credential },
    // the gateway's durable outbox lives beside the demo's database
    storage: { dir: join(o.dataDir, 'edge') },
  });
  const gateway = new Gateway({ config: edgeConfig, log: log.child({ part: 'edge' }) });
  await gateway.start();

  sim = await startScenario(o.scenario ?? 'bakery', { mqttUrl: broker.url, modbusPort, publishMs, timeScale, stock: true, stockActivityMs: o.stockActivityMs ?? 20_000 });
  for (const note of sim.notes) log.warn(note);
  sim.onFaultChange((e) => log.warn({ target: e.target, fault: e.fault, active: e.active }, `simulator fault ${e.active ? 'ON' : 'off'}: ${e.fault} on ${e.target}`));
  log.info({ scenario: sim.name, modbusPort: sim.modbusPort }, 'simulated devices up');

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await sim!.stop();
    await gateway.stop();
    await cloud.stop();
    await broker.close();
  })());
  // One command for the demo: an admin token, replaced at every start, handed to the dashboard
  // in the URL fragment (never sent to the server, never in its logs).
  await revokeApiTokensNamed(cloud.db, 'demo-admin');
  const { token } = await createApiToken(cloud.db, { role: 'admin', name: 'demo-admin', createdBy: 'demo' });
  demoToken = token;
  const dashboardUrl = `${cloud.url}/#token=${token}`;
  return { url: cloud.url, mqttUrl: broker.url, broker, sim, gateway, cloud, inbox, token, dashboardUrl, stop };
}

/**
 * The demo sets the cloud's deployment (broker, database, ports, webhooks, site) from its own
 * options and ignores those variables in the environment; the rule and notification settings
 * (count drift, approvals, replenishment, SMTP, notify file, public URL) still come from there,
 * validated by cloud/config.ts like any cloud's. Other variables stay for the notify file's ${VAR}.
 */
const DEMO_SETTINGS_FROM_ENV = new Set(['STOCKPULSE_COUNT_DRIFT_PCT', 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR', 'STOCKPULSE_SERVICE_LEVEL',
  'STOCKPULSE_REPLENISH_HISTORY_DAYS', 'STOCKPULSE_REPLENISH_COVER_DAYS', 'STOCKPULSE_PUBLIC_URL', 'STOCKPULSE_NOTIFY_FILE',
  'STOCKPULSE_SMTP_URL', 'STOCKPULSE_SMTP_FROM', 'LOG_LEVEL']);
function demoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !(k in CloudEnv.shape) || DEMO_SETTINGS_FROM_ENV.has(k)));
}
