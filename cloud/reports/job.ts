import type { JobContext, JobDefinition, JobResult } from '../jobs/job.ts';
import type { Db, Queryable } from '../db/engine.ts';
import type { ChannelAddress } from '../notify/contacts.ts';
import { queueReportDelivery } from '../notify/deliveries.ts';
import { reportById } from './registry.ts';
import { reportCsv, reportFileName } from './csv.ts';
import { rt } from './i18n.ts';
import { latestSlot } from './week-slot.ts';
import { toSchedule, type Schedule } from './schedules.ts';

// Hourly: every schedule whose weekly slot has come (and was not handled yet) is run once and
// e-mailed, with the CSV attached, to each active contact of its role that has an e-mail address
// (deliveries go through the notification outbox, cloud/notify/deliveries.ts, and the dispatcher).
// A slot is claimed by moving the schedule's last_occurrence forward in the transaction that
// queues the e-mails, so two runs — or two cloud instances — never mail one slot twice; a cloud
// that was down at the hour sends the slot at its next run within the week.

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function sendDueReports(ctx: Pick<JobContext, 'db' | 'now' | 'notify' | 'log'>): Promise<JobResult> {
  const counts = { reports_sent: 0, emails_queued: 0, without_recipients: 0 };
  const all = (await ctx.db.query('SELECT * FROM report_schedules ORDER BY id')).map(toSchedule);
  for (const s of all) {
    const slot = latestSlot(s, ctx.now);
    // a slot before the schedule existed is not owed
    if (!slot || slot.getTime() < s.createdAt || (s.lastOccurrence !== null && s.lastOccurrence >= slot.getTime())) continue;
    const file = await buildFile(ctx.db, s, ctx.now);
    const queued = await ctx.db.tx((q) => queueOne(q, s, slot, ctx.now, file));
    if (queued === null) continue;
    counts.reports_sent++;
    counts.emails_queued += queued;
    if (!queued) {
      counts.without_recipients++;
      ctx.log.warn({ schedule: s.id, role: s.role }, 'report schedule has no active contact with an e-mail address for its role');
    }
  }
  if (counts.emails_queued) ctx.notify?.kick();
  return counts;
}

interface ReportFile { id: string; title: string; rows: number; csv: string }

/** the report run for the schedule (as its recipients' role); undefined if it left the registry */
async function buildFile(db: Db, s: Schedule, now: Date): Promise<ReportFile | undefined> {
  const report = reportById(s.report);
  if (!report) return undefined;
  // a period left out of the params: the 7 whole days before the e-mail
  const shape = (report.params as { shape?: Record<string, unknown> }).shape ?? {};
  const period = 'from' in shape && 'to' in shape ? { from: iso(now.getTime() - 7 * DAY), to: iso(now.getTime() - DAY) } : {};
  const table = await report.run(db, report.params.parse({ ...period, ...s.params }), { role: s.role });
  return { id: report.id, title: rt(s.locale, `title.${report.id}`), rows: table.rows.length, csv: reportCsv(table, s.locale) };
}

/** claims the slot and queues one e-mail per recipient; null = another run had claimed it */
async function queueOne(q: Queryable, s: Schedule, slot: Date, now: Date, file: ReportFile | undefined): Promise<number | null> {
  const claimed = await q.query('UPDATE report_schedules SET last_occurrence = $2 WHERE id = $1 AND (last_occurrence IS NULL OR last_occurrence < $2) RETURNING id', [s.id, slot]);
  if (!claimed.length) return null;
  if (!file) return 0;   // a report taken out of the registry since: nothing to send
  const contacts = await q.query<{ id: number; channels: ChannelAddress[] }>(
    'SELECT id, channels FROM notify_contacts WHERE role = $1 AND active ORDER BY id', [s.role]);
  const text = rt(s.locale, 'mail.body', { title: file.title, rows: file.rows });
  let n = 0;
  for (const c of contacts) {
    const mail = c.channels.find((ch) => ch.type === 'email');
    if (!mail) continue;
    n += await queueReportDelivery(q, {
      key: `report-schedule:${s.id}:${slot.toISOString()}`, contactId: c.id, now,
      payload: {
        to: mail.address, subject: rt(s.locale, 'mail.subject', { title: file.title }), text,
        html: text.split('\n').map((l) => `<p>${l.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`).join(''),
        report: { schedule: s.id, id: file.id, slot: slot.toISOString(), rows: file.rows },
        attachments: [{ filename: reportFileName(file.id, now), contentType: 'text/csv; charset=utf-8', content: Buffer.from(file.csv, 'utf8').toString('base64') }],
      },
    });
  }
  return n;
}

export const reportScheduleJob: JobDefinition = {
  name: 'report-emails',
  description: 'E-mails the scheduled weekly reports whose hour has come (CSV attached)',
  schedule: '2 * * * *',
  run: (ctx) => sendDueReports(ctx),
};
