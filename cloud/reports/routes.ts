import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { actorOf } from '../auth/guard.ts';
import type { Role } from '../auth/permissions.ts';
import { LOCALES } from '../auth/preferences.ts';
import { ErrorBody } from '../api/schemas.ts';
import { reportById, reports } from './registry.ts';
import { mayRun, reportRoles } from './report.ts';
import { reportCsv, reportFileName } from './csv.ts';
import { reportCatalogues } from './i18n.ts';
import { ScheduleInput, createSchedule, deleteSchedule, listSchedules } from './schedules.ts';

// Reports: the list a role may run, a report as a CSV file, and the weekly e-mail schedules
// (admin; job.ts sends them). PDF is not offered: see README "Reports" (no PDF library with CJK fonts).

const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const IdParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const titles = (id: string) => Object.fromEntries(LOCALES.map((l) => [l, (reportCatalogues[l] as Record<string, string>)[`title.${id}`] ?? id]));

export const reportRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/reports', {
    schema: { tags: ['reports'], summary: 'the reports the caller\'s role may run: id, titles (en / zh-CN), params, roles', response: errors },
  }, async (req) => {
    const role = actorOf(req).role as Role;
    return reports.filter((r) => mayRun(r, role)).map((r) => ({
      id: r.id, title: titles(r.id), params: Object.keys((r.params as { shape?: object }).shape ?? {}), roles: reportRoles(r),
    }));
  });

  app.get('/api/reports/:id.csv', {
    schema: {
      tags: ['reports'], summary: "a report as CSV (UTF-8 with BOM, RFC 4180); the report's params as query parameters (e.g. from, to, item, location)",
      params: z.object({ id: z.string().max(64) }),
      querystring: z.object({ locale: z.enum(LOCALES).default('en').describe('language of the header and words') }).catchall(z.string().max(200)),
      response: errors,
    },
  }, async (req, reply) => {
    const report = reportById(req.params.id);
    if (!report) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no report "${req.params.id}"` });
    const role = actorOf(req).role as Role;
    if (!mayRun(report, role)) throw new SpError('SP_ERR_FORBIDDEN', { field: 'role', reason: `role ${role} may not read the ${report.id} report` });
    const { locale, ...rest } = req.query;
    const p = report.params.safeParse(rest);
    if (!p.success) {
      const i = p.error.issues[0]!;
      throw new SpError('SP_ERR_VALIDATION', { field: ['querystring', ...i.path.map(String)].join('.'), reason: i.message });
    }
    const csv = reportCsv(await report.run(db, p.data, { role }), locale);
    return reply.header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${reportFileName(report.id, new Date())}"`)
      .send(csv);
  });

  app.get('/api/report-schedules', { schema: { tags: ['reports'], summary: 'weekly report e-mails (admin)', response: errors } },
    async () => listSchedules(db));
  app.post('/api/report-schedules', {
    schema: { tags: ['reports'], summary: 'schedule a report as a weekly e-mail to a role (admin)', body: ScheduleInput, response: errors },
  }, async (req, reply) => {
    const s = await createSchedule(db, req.body, actorOf(req).name);
    req.audit = { entity: 'report_schedule', entityId: s.id, before: null, after: s };
    return reply.code(201).send(s);
  });
  app.delete('/api/report-schedules/:id', { schema: { tags: ['reports'], summary: 'stop a weekly report e-mail (admin)', params: IdParam, response: errors } }, async (req) => {
    const s = await deleteSchedule(db, req.params.id);
    req.audit = { entity: 'report_schedule', entityId: s.id, before: s, after: null };
    return s;
  });
};
