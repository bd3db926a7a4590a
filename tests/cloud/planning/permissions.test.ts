import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, canSeeCost } from '../../../cloud/auth/permissions.ts';
import { apiRoutesOf } from '../../../cloud/auth/guard.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// The planning routes in the permission matrix, walked route by route like tests/cloud/auth does for
// all of them: served and listed, 401 without a token, 403 for a role not listed, through for
// a listed one; cost data (supplier prices, price trend) never for a role outside COST_ROLES.

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

const mine = (k: string) => k.includes(' /api/replenishment') || k.includes(' /api/analytics/');

describe(`planning permissions (${engineLabel})`, () => {
  it('every planning route is served and in the matrix; the price trend is for cost roles only', async () => {
    const served = apiRoutesOf(f.app).map((r) => `${r.method} ${r.url}`).filter(mine);
    expect(served.sort()).toEqual(Object.keys(PERMISSIONS).filter(mine).sort());
    expect(served).toHaveLength(7);
    const price = PERMISSIONS['GET /api/analytics/price-trend'] as readonly string[];
    expect(price.every((r) => canSeeCost(r))).toBe(true);
  });

  it('401 without a token, 403 for roles not listed, through for listed ones', async () => {
    const failures: string[] = [];
    for (const [key, rule] of Object.entries(PERMISSIONS).filter(([k]) => mine(k))) {
      const [method, route] = key.split(' ') as [string, string];
      const url = route.replace(':sku', 'NO-SUCH-ITEM') + (route.endsWith('sales-trend') ? '?item=NO-SUCH-ITEM' : '');
      const body = method === 'GET' ? undefined : {};
      if ((await f.as(null, method, url, body)).status !== 401) failures.push(`${key} without token`);
      for (const role of ROLES) {
        const allowed = role === 'admin' || (rule as readonly string[]).includes(role);
        const r = await f.as(role, method, url, body);
        if (allowed && (r.status === 401 || r.status === 403)) failures.push(`${key} as ${role} → ${r.status}`);
        if (!allowed && r.status !== 403) failures.push(`${key} as ${role} → ${r.status} (should be 403)`);
      }
    }
    expect(failures).toEqual([]);
  });
});
