import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SpError } from '../../protocols/errors.ts';
import { actorOf } from '../auth/guard.ts';
import { ErrorBody } from '../api/schemas.ts';
import type { JobRunner } from './runner.ts';

// GET /api/jobs: every registered job with its schedule, next run and last runs (status,
// counts, progress). POST /api/jobs/:name/run: run one now, under the same lock as the
// scheduler; answers when the run has finished (409 while another instance runs it).

const errors = { 200: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const jobRoutes = (runner: JobRunner): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/jobs', {
    schema: {
      tags: ['jobs'], summary: 'scheduled jobs: schedule (cron, UTC), next run, last runs with status, counts and progress',
      querystring: z.object({ runs: z.coerce.number().int().min(1).max(100).default(5) }),
    },
  }, async (req) => ({ instance: runner.instanceId, jobs: await runner.status(undefined, req.query.runs) }));

  app.post('/api/jobs/:name/run', {
    schema: {
      tags: ['jobs'], summary: 'run a job now for a period (default: the period containing now); the job is idempotent per period',
      params: z.object({ name: z.string().min(1).max(100) }),
      body: z.object({
        period: z.string().min(1).max(40).optional().describe('YYYY-MM-DD (the period starting on that day) or an ISO timestamp (the period containing it)'),
      }).nullish(),
      response: errors,
    },
  }, async (req) => {
    const name = req.params.name;
    runner.job(name, 'params.name'); // 404 before anything else
    const out = await runner.runNow(name, { period: req.body?.period, actor: actorOf(req).name })
      .catch((e) => { if (e instanceof SpError) for (const d of e.details) if (d.field === 'period') d.field = 'body.period'; throw e; });
    if (!out.ran) {
      throw new SpError('SP_ERR_CONFLICT', { field: 'params.name', reason: `job "${name}" is running on another instance right now; try again when it has finished` });
    }
    req.audit = { entity: 'job_run', entityId: out.run.id, after: out.run };
    return out.run;
  });
};
