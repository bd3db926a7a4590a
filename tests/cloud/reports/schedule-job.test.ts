import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { startSmtpServer } from '../../helpers/notify-fixture.ts';
import { sendDueReports } from '../../../cloud/reports/job.ts';
import { latestSlot } from '../../../cloud/reports/week-slot.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { ContactSender } from '../../../cloud/notify/senders.ts';
import { jobs } from '../../../cloud/jobs/registry.ts';

// A weekly report schedule comes due: one e-mail per contact of the role, through the
// notification outbox, with the CSV attached — and not again at the next run (or a second
// instance's run) for the same week.

let tdb: TestDatabase;
let f: ApiFixture;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
const log = pino({ level: 'silent' });

/** the attachment of a raw MIME message: its filename and decoded bytes */
function attachmentOf(raw: string): { filename: string; bytes: Buffer } | undefined {
  const m = /Content-Disposition: attachment;\s*filename="?([^"\r\n]+)"?\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/i.exec(raw);
  return m ? { filename: m[1]!, bytes: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') } : undefined;
}

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  smtp = await startSmtpServer('reports', 'smtp-pa55');
  await seedLocations(f);
  await seedItem(f, { sku: 'TOFU', name: '嫩豆腐, "silken"', lotTracked: true });
  await f.as('warehouse', 'POST', '/api/lots', { item: 'TOFU', code: 'T-1', expiresOn: '2099-01-31' });
  await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'TOFU', lot: 'T-1', to: 'bin-a', qty: 24 });
  for (const c of [
    { name: 'Li Na', role: 'warehouse', channels: [{ type: 'email', address: 'li.na@example.com' }], locale: 'zh-CN' },
    { name: 'Chat only', role: 'warehouse', channels: [{ type: 'slack', address: 'https://hooks.slack.com/services/T/B/x' }] },
    { name: 'Finance person', role: 'finance', channels: [{ type: 'email', address: 'fin@example.com' }] },
  ]) expect((await f.as('qa', 'POST', '/api/notify/contacts', c)).status).toBe(201);
});
afterAll(async () => {
  await smtp?.close();
  await f?.close();
  await tdb?.cleanup();
});

describe(`scheduled report e-mails (${engineLabel})`, () => {
  it('the weekly slot in a time zone: Monday 08:00 in Shanghai is Monday 00:00 UTC', () => {
    const s = { weekday: 1, hour: 8, timezone: 'Asia/Shanghai' };
    expect(latestSlot(s, new Date('2026-12-07T01:30:00Z'))!.toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(latestSlot(s, new Date('2026-12-06T23:59:00Z'))!.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    // daylight saving moves the instant, not the local hour: 09:00 Berlin is 07:00 UTC in summer, 08:00 UTC in winter
    expect(latestSlot({ weekday: 3, hour: 9, timezone: 'Europe/Berlin' }, new Date('2026-07-02T00:00:00Z'))!.toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(latestSlot({ weekday: 3, hour: 9, timezone: 'Europe/Berlin' }, new Date('2026-12-10T00:00:00Z'))!.toISOString()).toBe('2026-12-09T08:00:00.000Z');
    expect(jobs.map((j) => j.name)).toContain('report-emails');
  });

  it('due → one e-mail delivery per recipient with the CSV attached, not twice across two runs; sent over SMTP with the attachment', async () => {
    const made = await f.as('admin', 'POST', '/api/report-schedules', { report: 'stock', weekday: 1, hour: 8, timezone: 'Asia/Shanghai', role: 'warehouse', locale: 'zh-CN' });
    expect(made.status).toBe(201);
    // the schedule was made on 1 Dec: the slot of 30 Nov is not owed, the one of 7 Dec is
    await tdb.db.query(`UPDATE report_schedules SET created_at = '2026-12-01T00:00:00Z' WHERE id = $1`, [made.json.id]);
    const run = (iso: string) => sendDueReports({ db: tdb.db, now: new Date(iso), log });
    expect(await run('2026-12-06T23:30:00Z')).toMatchObject({ reports_sent: 0, emails_queued: 0 });
    expect(await run('2026-12-07T00:02:00Z')).toMatchObject({ reports_sent: 1, emails_queued: 1 });
    // the next hourly run, and two instances racing on the same hour: nothing more
    const again = await Promise.all([run('2026-12-07T01:02:00Z'), run('2026-12-07T01:02:00Z')]);
    expect(again.map((r) => r.emails_queued)).toEqual([0, 0]);
    const rows = await tdb.db.query<{ alert_id: string; channel: string; stage: string; target: string; payload: any }>(
      `SELECT alert_id, channel, stage, target, payload FROM notification_deliveries WHERE stage = 'report'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ alert_id: `report-schedule:${made.json.id}:2026-12-07T00:00:00.000Z`, channel: 'email' });
    expect(rows[0]!.payload).toMatchObject({ to: 'li.na@example.com', subject: 'stockpulse 每周报表：按物料、库位和批次的库存' });
    const csv = Buffer.from(rows[0]!.payload.attachments[0].content, 'base64').toString('utf8');
    expect(csv.split('\r\n').slice(0, 2)).toEqual(['\uFEFF物料,名称,单位,批次,库位,批次状态,到期日,批次在库,物料在库,已预留,隔离,已过期,可用',
      'TOFU,"嫩豆腐, ""silken""",pcs,T-1,bin-a,可用,2099-01-31,24,24,0,0,0,24']);
    expect((await f.as('admin', 'GET', '/api/report-schedules')).json[0].lastOccurrence).toBe(Date.parse('2026-12-07T00:00:00Z'));
    // the delivery list is every person's: it names the file, never shows its content
    const listed = (await f.as('viewer', 'GET', '/api/notifications/deliveries')).json.deliveries.find((d: any) => d.stage === 'report');
    expect(listed.payload.attachments).toEqual([{ filename: 'stock_2026-12-07.csv', contentType: 'text/csv; charset=utf-8', bytes: Buffer.byteLength(csv) }]);

    // the dispatcher sends it through the e-mail channel, file attached byte for byte
    const dispatcher = new NotificationDispatcher({
      db: tdb.db, log, escalation: false, smtp: { transport: `smtp://reports:smtp-pa55@127.0.0.1:${smtp.port}`, from: 'stockpulse <reports@stock.example.com>' },
    });
    try {
      await expect.poll(async () => { await dispatcher.pass(); return smtp.mails.length; }, { timeout: 20_000 }).toBe(1);
    } finally { await dispatcher.stop(); }
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['li.na@example.com']);
    const file = attachmentOf(mail.raw);
    expect(file?.filename).toBe('stock_2026-12-07.csv');
    expect(file?.bytes.toString('utf8')).toBe(csv);
    expect((await tdb.db.query<{ status: string }>(`SELECT status FROM notification_deliveries WHERE stage = 'report'`))[0]!.status).toBe('sent');
  });

  it('the e-mail sender attaches files from the payload (and sends none when there are none)', async () => {
    const sender = new ContactSender({ db: tdb.db, smtp: { transport: `smtp://reports:smtp-pa55@127.0.0.1:${smtp.port}`, from: 'reports@stock.example.com' } });
    const [c] = await tdb.db.query<{ id: number }>(`SELECT id FROM notify_contacts WHERE name = 'Finance person'`);
    const before = smtp.mails.length;
    try {
      await sender.send({ contact_id: c!.id, channel: 'email', payload: { to: 'fin@example.com', subject: 's', text: 't', html: '<p>t</p>',
        attachments: [{ filename: 'a,b.csv', contentType: 'text/csv; charset=utf-8', content: Buffer.from('\uFEFFx,"y"\r\n').toString('base64') }] } });
      await sender.send({ contact_id: c!.id, channel: 'email', payload: { to: 'fin@example.com', subject: 'plain', text: 't', html: '<p>t</p>' } });
    } finally { sender.close(); }
    await expect.poll(() => smtp.mails.length).toBe(before + 2);
    expect(attachmentOf(smtp.mails[before]!.raw)?.bytes.toString('utf8')).toBe('\uFEFFx,"y"\r\n');
    expect(smtp.mails[before + 1]!.raw).not.toMatch(/Content-Disposition: attachment/i);
  });
});
