import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Purchase-order approval rules an admin edits (issue #14): the default is the config's rule
// (finance always, warehouse above 5 000.00), a saved threshold moves which orders need two
// levels, sequential levels approve in order, every change is in the audit log.

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'YOG', name: 'Yoghurt', lotTracked: true, costMinor: 80 });
  await f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Dairy Co' });
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

/** a submitted order of amount qty × 1.00 → the roles it needs */
async function submitted(qty: number) {
  const po = (await f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'dairy', lines: [{ item: 'YOG', qty, priceMinor: 100 }] })).json;
  const s = (await f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/submit`, {})).json;
  return { id: po.id as number, required: s.data.requiredApprovals as string[] };
}

const put = (body: unknown, role: 'admin' | 'finance' = 'admin') => f.as(role, 'PUT', '/api/approval-rules', body);

describe(`approval rules (${engineLabel})`, () => {
  it('default: the config rule (finance always, warehouse above 5 000.00), shown with its source', async () => {
    const g = await f.as('admin', 'GET', '/api/approval-rules');
    expect(g.status).toBe(200);
    expect(g.json).toMatchObject({ source: 'config', sequential: false, levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 500_000 }] });
    expect(g.json.approverRoles).toEqual(expect.arrayContaining(['admin', 'finance', 'warehouse']));
    expect((await submitted(4000)).required).toEqual(['finance']);            // 4 000.00
    expect((await submitted(6000)).required).toEqual(['finance', 'warehouse']); // 6 000.00
  });

  it('lowering the threshold: an order that needed one level now needs two; raising it: two → one; audited', async () => {
    let r = await put({ levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 300_000 }] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ source: 'table', levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 300_000 }] });
    expect((await submitted(4000)).required).toEqual(['finance', 'warehouse']);
    r = await put({ levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 1_000_000 }] });
    expect(r.status).toBe(200);
    const big = await submitted(6000);
    expect(big.required).toEqual(['finance']);
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${big.id}/approve`, {})).json.status).toBe('approved');

    const g = (await f.as('admin', 'GET', '/api/approval-rules')).json;
    expect(g.history).toHaveLength(2);
    expect(g.history[0]).toMatchObject({ actor: 'test-admin', role: 'admin',
      before: { levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 300_000 }] },
      after: { levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 1_000_000 }] } });
    expect(g.history[1].before).toMatchObject({ source: 'config' });
    expect(g.history[0].at).toBeGreaterThan(Date.now() - 60_000);
    const audit = await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE entity = 'approval_rules' AND method = 'PUT'`);
    expect(audit[0]!.n).toBe(2);
  });

  it('sequential levels: the second level approves only after the first, its task appears then', async () => {
    expect((await put({ levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 100_000 }], sequential: true })).status).toBe(200);
    const po = await submitted(2000);
    expect(po.required).toEqual(['finance', 'warehouse']);
    const open = async (role: string) => (await f.as(role as never, 'GET', '/api/tasks')).json.filter((t: any) => t.documentId === po.id).length;
    expect(await open('warehouse')).toBe(0);
    const early = await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/approve`, {});
    expect(early.status).toBe(403);
    expect(early.json.details[0].reason).toContain('after finance');
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {})).json.status).toBe('submitted');
    expect(await open('warehouse')).toBe(1);
    expect((await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/approve`, {})).json.status).toBe('approved');
  });

  it('bad rules are a 400 naming the field; nothing is saved', async () => {
    const before = (await f.as('admin', 'GET', '/api/approval-rules')).json.levels;
    const cases: [unknown, string][] = [
      [{ levels: [] }, 'body.levels'],
      [{ levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 500 }, { role: 'admin', aboveMinor: 100 }] }, 'body.levels.2.aboveMinor'],
      [{ levels: [{ role: 'sales', aboveMinor: 0 }] }, 'body.levels.0.role'],
      [{ levels: [{ role: 'finance', aboveMinor: 10 }] }, 'body.levels.0.aboveMinor'],
      [{ levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'finance', aboveMinor: 10 }] }, 'body.levels.1.role'],
      [{ levels: [{ role: 'finance', aboveMinor: -1 }] }, 'body.levels.0.aboveMinor'],
    ];
    for (const [body, field] of cases) {
      const r = await put(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.code).toBe('SP_ERR_VALIDATION');
      expect(r.json.details.map((d: any) => d.field), JSON.stringify(body)).toContain(field);
    }
    expect((await f.as('admin', 'GET', '/api/approval-rules')).json.levels).toEqual(before);
  });

  it('non-admins may neither read nor change the rules (403)', async () => {
    for (const role of ['finance', 'warehouse', 'purchasing', 'viewer'] as const) {
      expect((await f.as(role, 'GET', '/api/approval-rules')).status).toBe(403);
      const r = await f.as(role, 'PUT', '/api/approval-rules', { levels: [{ role: 'finance', aboveMinor: 0 }] });
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('SP_ERR_FORBIDDEN');
    }
  });
});
