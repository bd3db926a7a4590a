import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Master data for business partners: customers (created by sales) and suppliers (created by
// purchasing). Validation names the field, duplicates are a 409, each write is audited, and
// the routes are documented in OpenAPI. Who may call them is walked by tests/cloud/auth/matrix.test.ts.

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const cases = [
  { path: '/api/customers', writer: 'sales', reader: 'warehouse', entity: 'customer' },
  { path: '/api/suppliers', writer: 'purchasing', reader: 'finance', entity: 'supplier' },
] as const;

describe(`customers and suppliers (${engineLabel})`, () => {
  for (const c of cases) {
    it(`${c.path}: create, list, 409 on a duplicate id, audited`, async () => {
      const created = await f.as(c.writer, 'POST', c.path, { id: `${c.entity}-1`, name: '  Corner shop  ' });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({ id: `${c.entity}-1`, name: 'Corner shop' });
      await f.as(c.writer, 'POST', c.path, { id: `${c.entity}-0`, name: 'Another' });

      const list = await f.as(c.reader, 'GET', c.path);
      expect(list.status).toBe(200);
      expect(list.json).toEqual([{ id: `${c.entity}-0`, name: 'Another' }, { id: `${c.entity}-1`, name: 'Corner shop' }]);

      const dup = await f.as(c.writer, 'POST', c.path, { id: `${c.entity}-1`, name: 'Twice' });
      expect(dup.status).toBe(409);
      expect(dup.json.details[0].field).toBe('body.id');

      const log = (await f.as('finance', 'GET', `/api/audit?entity=${c.entity}&entityId=${c.entity}-1`)).json;
      expect(log).toHaveLength(1);   // the refused duplicate is not a write
      expect(log[0]).toMatchObject({ actor: `test-${c.writer}`, role: c.writer, route: c.path, status: 201, before: null, after: { id: `${c.entity}-1`, name: 'Corner shop' } });
    });

    it(`${c.path}: 400 naming the field`, async () => {
      const noName = await f.as(c.writer, 'POST', c.path, { id: 'x-1' });
      expect(noName.status).toBe(400);
      expect(noName.json.code).toBe('SP_ERR_VALIDATION');
      expect(noName.json.details.map((d: { field: string }) => d.field)).toContain('body.name');
      const blank = await f.as(c.writer, 'POST', c.path, { id: 'x-2', name: '   ' });
      expect(blank.status).toBe(400);
      expect(blank.json.details[0].field).toBe('body.name');
      const noId = await f.as(c.writer, 'POST', c.path, { name: 'No id' });
      expect(noId.status).toBe(400);
      expect(noId.json.details[0].field).toBe('body.id');
      expect((await f.as(c.reader, 'GET', c.path)).json.map((p: { id: string }) => p.id)).not.toContain('x-1');
    });
  }

  it('sales cannot create suppliers, purchasing cannot create customers (matrix)', async () => {
    expect((await f.as('sales', 'POST', '/api/suppliers', { id: 's', name: 'S' })).status).toBe(403);
    expect((await f.as('purchasing', 'POST', '/api/customers', { id: 'c', name: 'C' })).status).toBe(403);
  });

  it('documented in OpenAPI with their request bodies', async () => {
    const doc = (await f.app.inject({ url: '/docs/json' })).json();
    for (const c of cases) {
      expect(doc.paths[c.path]?.get).toBeTruthy();
      const body = doc.paths[c.path]?.post?.requestBody?.content?.['application/json']?.schema;
      expect(body?.required).toEqual(expect.arrayContaining(['id', 'name']));
    }
  });
});
