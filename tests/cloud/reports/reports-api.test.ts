import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// The reports API: the list by role, a report as CSV (the stock page's data), refusals, and the
// weekly schedules (admin only, validated field by field).

let tdb: TestDatabase;
let f: ApiFixture;
const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'TOFU', name: '嫩豆腐, "silken"', lotTracked: true });
  await f.as('warehouse', 'POST', '/api/lots', { item: 'TOFU', code: 'T-1', expiresOn: '2099-01-31' });
  const m = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'TOFU', lot: 'T-1', to: 'bin-a', qty: 24 });
  if (m.status !== 201) throw new Error(`seed movement: ${m.status} ${JSON.stringify(m.json)}`);
  // a lot that expires in 10 days
  await seedItem(f, { sku: 'YOG', name: 'Yoghurt', lotTracked: true });
  await f.as('warehouse', 'POST', '/api/lots', { item: 'YOG', code: 'Y-SOON', expiresOn: soon });
  await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'YOG', lot: 'Y-SOON', to: 'bin-b', qty: 6 });
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const inject = (role: 'admin' | 'sales' | 'finance' | 'viewer', url: string) =>
  f.app.inject({ url, headers: { authorization: `Bearer ${f.tokens[role]}` } });

describe(`reports API (${engineLabel})`, () => {
  it('lists the reports a role may run (cost reports only for cost roles)', async () => {
    const admin = (await f.as('admin', 'GET', '/api/reports')).json.map((r: any) => r.id);
    expect(admin).toEqual(['stock', 'expiring-lots', 'reorder-suggestions', 'turnover', 'supplier-on-time', 'count-accuracy', 'price-trend', 'stock-value', 'cogs']);
    const sales = (await f.as('sales', 'GET', '/api/reports')).json;
    expect(sales.map((r: any) => r.id)).toEqual(['stock', 'expiring-lots', 'turnover']);
    expect(sales[0].title).toEqual({ en: 'Stock by item, location and lot', 'zh-CN': '按物料、库位和批次的库存' });
  });

  it('the stock report as CSV: BOM, quoted name, zh header; a download named after the report', async () => {
    const res = await inject('viewer', '/api/reports/stock.csv?locale=zh-CN');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="stock_\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('\uFEFF物料,名称,单位,批次,库位,批次状态,到期日,批次在库,物料在库,已预留,隔离,已过期,可用');
    expect(lines[1]).toBe('TOFU,"嫩豆腐, ""silken""",pcs,T-1,bin-a,可用,2099-01-31,24,24,0,0,0,24');
    const en = await inject('viewer', '/api/reports/stock.csv?location=dry');
    expect(en.body).toBe('\uFEFFitem,name,unit,lot,location,lot status,expires on,lot on hand,item on hand,reserved,quarantined,expired,available\r\n');
  });

  it('lots near expiry: within the days asked, soonest first, with the days left', async () => {
    const lines = (await inject('sales', '/api/reports/expiring-lots.csv?withinDays=30')).body.split('\r\n');
    expect(lines).toEqual(['\uFEFFitem,name,lot,location,lot status,expires on,days left,lot on hand,unit', `YOG,Yoghurt,Y-SOON,bin-b,available,${soon},10,6,pcs`, '']);
    expect((await inject('sales', '/api/reports/expiring-lots.csv?withinDays=5')).body.split('\r\n')).toHaveLength(2);
    const bad = await f.as('sales', 'GET', '/api/reports/expiring-lots.csv?withinDays=-1');
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('querystring.withinDays');
  });

  it('refusals: a report the role may not read 403, unknown 404, bad params 400 naming the field', async () => {
    const denied = await f.as('sales', 'GET', '/api/reports/price-trend.csv');
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe('SP_ERR_FORBIDDEN');
    expect((await f.as('finance', 'GET', '/api/reports/price-trend.csv')).status).toBe(200);
    expect((await f.as('admin', 'GET', '/api/reports/nope.csv')).status).toBe(404);
    const bad = await f.as('admin', 'GET', '/api/reports/turnover.csv?from=2026-13-01');
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('querystring.from');
    expect((await f.as('admin', 'GET', '/api/reports/stock.csv?locale=fr')).status).toBe(400);
  });

  it('schedules: admin creates, lists and deletes; a non-admin gets 403', async () => {
    const body = { report: 'turnover', weekday: 1, hour: 8, timezone: 'Asia/Shanghai', role: 'finance', locale: 'zh-CN' };
    const made = await f.as('admin', 'POST', '/api/report-schedules', body);
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ ...body, params: {}, createdBy: 'test-admin', lastOccurrence: null });
    expect((await f.as('admin', 'GET', '/api/report-schedules')).json.map((s: any) => s.id)).toEqual([made.json.id]);
    for (const role of ['finance', 'viewer', 'purchasing'] as const) {
      expect((await f.as(role, 'POST', '/api/report-schedules', body)).status).toBe(403);
      expect((await f.as(role, 'GET', '/api/report-schedules')).status).toBe(403);
      expect((await f.as(role, 'DELETE', `/api/report-schedules/${made.json.id}`)).status).toBe(403);
    }
    expect((await f.as('admin', 'DELETE', `/api/report-schedules/${made.json.id}`)).status).toBe(200);
    expect((await f.as('admin', 'GET', '/api/report-schedules')).json).toEqual([]);
    expect((await f.as('admin', 'DELETE', `/api/report-schedules/${made.json.id}`)).status).toBe(404);
  });

  it('a bad schedule body is a 400 naming the field', async () => {
    const ok = { report: 'stock', weekday: 5, hour: 17, timezone: 'Europe/Berlin', role: 'warehouse', locale: 'en' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ok, report: 'valuation' }, 'body.report'],
      [{ ...ok, weekday: 8 }, 'body.weekday'],
      [{ ...ok, hour: 24 }, 'body.hour'],
      [{ ...ok, timezone: 'Mars/Olympus' }, 'body.timezone'],
      [{ ...ok, role: 'device' }, 'body.role'],
      [{ ...ok, locale: 'de' }, 'body.locale'],
      [{ ...ok, report: 'price-trend', role: 'sales' }, 'body.role'],
      [{ ...ok, report: 'turnover', params: { from: 'yesterday' } }, 'body.params.from'],
    ];
    for (const [body, field] of cases) {
      const r = await f.as('admin', 'POST', '/api/report-schedules', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.code).toBe('SP_ERR_VALIDATION');
      expect(r.json.details.map((d: any) => d.field), JSON.stringify(body)).toContain(field);
    }
  });
});
