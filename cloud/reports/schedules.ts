import { z } from 'zod';
import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { ROLES, type Role } from '../auth/permissions.ts';
import { LOCALES, type Locale } from '../auth/preferences.ts';
import { reportById, reports } from './registry.ts';
import { mayRun } from './report.ts';
import { isTimeZone } from '../../protocols/time-zone.ts';

// Weekly report e-mails an admin sets up (report_schedules, 0022): which report with which
// params, the weekday and hour in a time zone, the role whose contacts receive it, the language.

/** people's roles: a device credential has no contacts to e-mail */
const RECIPIENT_ROLES = ROLES.filter((r) => r !== 'device') as [Role, ...Role[]];

export const ScheduleInput = z.object({
  report: z.string().refine((id) => Boolean(reportById(id)), { message: `unknown report; one of: ${reports.map((r) => r.id).join(', ')}` }),
  params: z.record(z.string(), z.unknown()).default({}).describe("the report's params (as in GET /api/reports/:id.csv); a period left out = the 7 days before the e-mail"),
  weekday: z.number().int().min(1).max(7).describe('ISO weekday: 1 = Monday … 7 = Sunday'),
  hour: z.number().int().min(0).max(23).describe('hour of the day in `timezone`'),
  timezone: z.string().max(64).default('UTC').refine(isTimeZone, { message: 'must be an IANA time zone such as Asia/Shanghai or Europe/Berlin' }),
  role: z.enum(RECIPIENT_ROLES).describe("the role whose active contacts with an e-mail address receive it"),
  locale: z.enum(LOCALES).default('en'),
}).superRefine((s, ctx) => {
  const r = reportById(s.report);
  if (!r) return;
  // the recipients see no more than their role's API shows them
  if (!mayRun(r, s.role)) ctx.addIssue({ code: 'custom', path: ['role'], message: `role ${s.role} may not read the ${s.report} report` });
  const p = r.params.safeParse(s.params);
  if (!p.success) for (const i of p.error.issues) ctx.addIssue({ code: 'custom', path: ['params', ...i.path.map(String)], message: i.message });
});
export type ScheduleInput = z.infer<typeof ScheduleInput>;

export interface Schedule {
  id: number; report: string; params: Record<string, unknown>; weekday: number; hour: number; timezone: string;
  role: Role; locale: Locale; createdBy: string; createdAt: number; lastOccurrence: number | null;
}

export const toSchedule = (r: Record<string, any>): Schedule => ({
  id: Number(r.id), report: r.report, params: r.params ?? {}, weekday: Number(r.weekday), hour: Number(r.hour), timezone: r.timezone,
  role: r.role, locale: r.locale, createdBy: r.created_by, createdAt: new Date(r.created_at).getTime(),
  lastOccurrence: r.last_occurrence ? new Date(r.last_occurrence).getTime() : null,
});

export async function listSchedules(db: Db): Promise<Schedule[]> {
  return (await db.query('SELECT * FROM report_schedules ORDER BY id')).map(toSchedule);
}

export async function createSchedule(db: Db, input: ScheduleInput, by: string): Promise<Schedule> {
  const s = ScheduleInput.parse(input);
  const [row] = await db.query(
    `INSERT INTO report_schedules (report, params, weekday, hour, timezone, role, locale, created_by) VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [s.report, JSON.stringify(s.params), s.weekday, s.hour, s.timezone, s.role, s.locale, by]);
  return toSchedule(row!);
}

export async function deleteSchedule(db: Db, id: number): Promise<Schedule> {
  const [row] = await db.query('DELETE FROM report_schedules WHERE id = $1 RETURNING *', [id]);
  if (!row) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no report schedule with id ${id}` });
  return toSchedule(row);
}
