import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Db } from '../db/engine.ts';
import type { CloudMetrics } from '../metrics.ts';
import type { UplinkHealth } from '../ingest/stream-progress.ts';
import { installErrorHandler } from './errors.ts';
import { installInputGuard } from './input-guard.ts';
import { Health } from './schemas.ts';
import { zoneRoutes } from './routes/zones.ts';
import { readingRoutes } from './routes/readings.ts';
import { alertRoutes } from './routes/alerts.ts';
import { deviceRoutes } from './routes/devices.ts';
import { installAuth } from '../auth/guard.ts';
import { inventoryRoutes } from './routes/inventory.ts';
import { documentRoutes } from './routes/documents.ts';
import { adminRoutes } from './routes/admin.ts';
import { meRoutes } from './routes/me.ts';
import { stockDeviceRoutes } from './routes/stock-devices.ts';
import { notifyRoutes } from '../notify/api.ts';
import { jobRoutes } from '../jobs/routes.ts';
import { JobRunner } from '../jobs/runner.ts';
import { jobs as registeredJobs } from '../jobs/registry.ts';
import { exposureRoutes } from '../rules/exposure/routes.ts';
import { planningRoutes } from './routes/planning.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { valuationRoutes } from './routes/valuation.ts';
import { gatewayRoutes } from '../gateways/routes.ts';
import { approvalRuleRoutes } from './routes/approval-rules.ts';
import { reportRoutes } from '../reports/routes.ts';
import type { CloudSettings } from '../config.ts';

const WEB_DIR = fileURLToPath(new URL('../../dashboards/web/', import.meta.url));
const UPLOT_DIR = fileURLToPath(new URL('../../node_modules/uplot/dist/', import.meta.url));
// the scanner's barcode reader (zxing-wasm: ES modules + the reader's .wasm) and the GS1 parser the browser shares with protocols/
const ZXING_DIR = fileURLToPath(new URL('../../node_modules/zxing-wasm/dist/', import.meta.url));
const GS1_DIR = fileURLToPath(new URL('../../protocols/gs1/', import.meta.url));
// the one CSV quoting rule, shared by the browser's downloads and the cloud's report files
const CSV_DIR = fileURLToPath(new URL('../../protocols/csv/', import.meta.url));
export const VERSION = '0.1.0';

export interface ApiOptions {
  db: Db;
  log: Logger;
  metrics: CloudMetrics;
  mqttConnected: () => boolean;
  /** progress of the gateways' uplink streams (cloud/ingest/stream-progress.ts) */
  uplink?: () => UplinkHealth;
  site?: string;
  /** extra routes mounted by the composition root (the demo's simulator controls) */
  extraRoutes?: FastifyPluginAsync[];
  /** the cloud's job runner; absent = a runner that runs jobs on request but schedules nothing */
  jobs?: JobRunner;
  /** rule settings from the cloud config (approval threshold, …); default: the config's defaults */
  settings?: CloudSettings;
}

export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  // Per-request lines are info level; the API logs at warn so a wall-screen dashboard polling
  // every 10 s does not flood the log. Errors still show.
  const app = Fastify({ loggerInstance: o.log.child({ component: 'api' }, { level: 'warn' }) as FastifyBaseLogger })
    .withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app as unknown as FastifyInstance);
  // tokens, the permission matrix (cloud/auth/permissions.ts) and the audit log, for every /api route
  installAuth(app as unknown as FastifyInstance, o.db);
  // no NUL / control characters in any string of any request, before any schema (input-guard.ts)
  installInputGuard(app as unknown as FastifyInstance);

  await app.register(swagger, {
    openapi: { info: { title: 'stockpulse cloud API', version: VERSION, description: 'cold-chain readings, zones and alerts' } },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const started = Date.now();
  app.get('/api/health', { schema: { tags: ['system'], summary: 'liveness, database engine, broker link and uplink progress', response: { 200: Health } } }, async () => {
    const dbOk = await o.db.query('SELECT 1').then(() => true, () => false);
    const mqtt = o.mqttConnected();
    // connected is not enough: a gateway whose batches keep arriving and are never acked is a
    // site that has stopped (issue #11), so a stalled stream degrades health too
    const uplink = o.uplink?.();
    return {
      status: dbOk && mqtt && !uplink?.stalled.length ? 'ok' as const : 'degraded' as const,
      ...(uplink ? { uplink } : {}),
      ...(o.site ? { site: o.site } : {}),
      db: { engine: o.db.engine, timescale: o.db.timescale, ok: dbOk },
      mqtt: { connected: mqtt },
      version: VERSION,
      uptimeSec: Math.round((Date.now() - started) / 1000),
    };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });

  await app.register(zoneRoutes(o.db));
  await app.register(readingRoutes(o.db));
  await app.register(alertRoutes(o.db));
  await app.register(deviceRoutes(o.db));
  await app.register(inventoryRoutes(o.db));
  await app.register(documentRoutes(o.db, o.settings));
  await app.register(adminRoutes(o.db));
  await app.register(meRoutes(o.db));
  await app.register(stockDeviceRoutes(o.db));
  await app.register(notifyRoutes(o.db));
  await app.register(exposureRoutes(o.db));
  await app.register(planningRoutes(o.db, o.settings));
  await app.register(analyticsRoutes(o.db));
  await app.register(valuationRoutes(o.db));
  await app.register(gatewayRoutes(o.db));
  await app.register(approvalRuleRoutes(o.db, o.settings));
  await app.register(reportRoutes(o.db, o.settings));
  await app.register(jobRoutes(o.jobs ?? new JobRunner({ db: o.db, jobs: registeredJobs, settings: o.settings, log: o.log.child({ component: 'jobs' }) })));
  for (const r of o.extraRoutes ?? []) await app.register(r);

  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/', index: 'index.html' });
  await app.register(fastifyStatic, { root: UPLOT_DIR, prefix: '/vendor/uplot/', decorateReply: false });
  await app.register(fastifyStatic, { root: ZXING_DIR, prefix: '/vendor/zxing/', decorateReply: false });
  await app.register(fastifyStatic, { root: GS1_DIR, prefix: '/vendor/gs1/', decorateReply: false, allowedPath: (p) => p === '/gs1.js' });
  await app.register(fastifyStatic, { root: CSV_DIR, prefix: '/vendor/csv/', decorateReply: false, allowedPath: (p) => p === '/csv.js' });
  return app as unknown as FastifyInstance;
}
