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
import { reportPdf } from './pdf.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../config.ts';
import { ScheduleInput, createSchedule, deleteSchedule, listSchedules } from './schedules.ts';

// Reports: the list a role may run, a report as a CSV or PDF file (same roles, same params), and
// the weekly e-mail schedules (admin; job.ts sends them, as CSV).

const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const IdParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const titles = (id: string) => Object.fromEntries(LOCALES.map((l) => [l, (reportCatalogues[l] as Record<string, string>)[`title.${id}`] ?? id]));

export const reportRoutes = (db: Db, settings: Pick<CloudSettings, 'STOCKPULSE_PDF_CJK_FONT'> = DEFAULT_SETTINGS): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/reports', {
    schema: { tags: ['reports'], summary: 'the reports the caller\'s role may run: id, titles (en / zh-CN), params, roles', response: errors },
  }, async (req) => {
    const role = actorOf(req).role as Role;
    return reports.filter((r) => mayRun(r, role)).map((r) => ({
      id: r.id, title: titles(r.id), params: Object.keys((r.params as { shape?: object }).shape ?? {}), roles: reportRoles(r),
    }));
  });

  const ReportQuery = z.object({ locale: z.enum(LOCALES).default('en').describe('language of the title, header and words') }).catchall(z.string().max(200));
  /** the report, held to the caller's role, and its params validated (a 400 names the field) */
  const prepare = async (id: string, query: z.infer<typeof ReportQuery>, caller: Role) => {
    const report = reportById(id);
    if (!report) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no report "${id}"` });
    if (!mayRun(report, caller)) throw new SpError('SP_ERR_FORBIDDEN', { field: 'role', reason: `role ${caller} may not read the ${report.id} report` });
    const { locale, ...rest } = query;
    const p = report.params.safeParse(rest);
    if (!p.success) {
      const i = p.error.issues[0]!;
      throw new SpError('SP_ERR_VALIDATION', { field: ['querystring', ...i.path.map(String)].join('.'), reason: i.message });
    }
    return { report, locale, table: await report.run(db, p.data, { role: caller }) };
  };

  app.get('/api/reports/:id.csv', {
    schema: {
      tags: ['reports'], summary: "a report as CSV (UTF-8 with BOM, RFC 4180); the report's params as query parameters (e.g. from, to, item, location)",
      params: z.object({ id: z.string().max(64) }), querystring: ReportQuery, response: errors,
    },
  }, async (req, reply) => {
    const { report, locale, table } = await prepare(req.params.id, req.query, actorOf(req).role as Role);
    return reply.header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${reportFileName(report.id, new Date())}"`)
      .send(reportCsv(table, locale));
  });

  app.get('/api/reports/:id.pdf', {
    schema: {
      tags: ['reports'], summary: "a report as PDF (A4 landscape; zh-CN embeds Noto Sans CJK, 503 SP_ERR_FONT_MISSING without it); the report's params as query parameters",
      params: z.object({ id: z.string().max(64) }), querystring: ReportQuery, response: { ...errors, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const { report, locale, table } = await prepare(req.params.id, req.query, actorOf(req).role as Role);
    const pdf = await reportPdf(table, { reportId: report.id, locale, cjkFont: settings.STOCKPULSE_PDF_CJK_FONT });
    return reply.header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${reportFileName(report.id, new Date(), 'pdf')}"`)
      .send(pdf);
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
