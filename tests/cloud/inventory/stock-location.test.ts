import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// GET /api/stock?item=&location=: on hand, quarantined and expired cover the location and
// everything under it; reservations and channel pools are item-level (a shop sells the item,
// not a bin), so `available` there is the item's ATP capped by what is sellable at the location.

let tdb: TestDatabase;
let f: ApiFixture;

async function ok(r: Promise<{ status: number; json: any }>, want: number) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}
async function receiveLot(code: string, to: string, qty: number, expiresOn: string) {
  await ok(f.as('warehouse', 'POST', '/api/lots', { item: 'MILK', code, expiresOn }), 201);
  await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'MILK', lot: code, to, qty }), 201);
}

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);   // site-1 → chiller → bin-a, bin-b; site-1 → dry
  await seedItem(f, { sku: 'MILK', lotTracked: true });
  await seedItem(f, { sku: 'SALT' });
  await receiveLot('GOOD-A', 'bin-a', 10, '2099-01-01');
  await receiveLot('OLD-A', 'bin-a', 3, '2000-01-01');      // past its date: expired even while its status says available
  await receiveLot('HELD-B', 'bin-b', 4, '2099-01-01');
  const held = (await f.as('viewer', 'GET', '/api/lots?item=MILK')).json.find((l: any) => l.code === 'HELD-B');
  await ok(f.as('qa', 'POST', `/api/lots/${held.id}/status`, { status: 'quarantined', reason: 'seal broken' }), 200);
  await receiveLot('GOOD-DRY', 'dry', 20, '2099-06-01');
  await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'SALT', to: 'dry', qty: 7 }), 201);
  await ok(f.as('sales', 'POST', '/api/reservations', { item: 'MILK', qty: 12, channel: 'web' }), 201);
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const stock = async (q: string) => ok(f.as('viewer', 'GET', `/api/stock?${q}`), 200);
const figures = (r: any) => ({ onHand: r.onHand, quarantined: r.quarantined, expired: r.expired, reserved: r.reserved, protected: r.protected, available: r.available });

describe(`available to promise per item and location (${engineLabel})`, () => {
  it('whole item: on hand − reserved − quarantined − expired', async () => {
    const [milk] = await stock('item=MILK');
    // sellable 10 + 20 = 30, reserved 12
    expect(figures(milk)).toEqual({ onHand: 37, quarantined: 4, expired: 3, reserved: 12, protected: 0, available: 18 });
    expect(figures((await stock('item=MILK&location=site-1'))[0])).toEqual(figures(milk));
  });

  it('per location (and everything under it); available capped by what is sellable there', async () => {
    expect(figures((await stock('item=MILK&location=bin-a'))[0])).toEqual({ onHand: 13, quarantined: 0, expired: 3, reserved: 12, protected: 0, available: 10 });
    expect(figures((await stock('item=MILK&location=bin-b'))[0])).toEqual({ onHand: 4, quarantined: 4, expired: 0, reserved: 12, protected: 0, available: 0 });
    expect(figures((await stock('item=MILK&location=chiller'))[0])).toEqual({ onHand: 17, quarantined: 4, expired: 3, reserved: 12, protected: 0, available: 10 });
    expect(figures((await stock('item=MILK&location=dry'))[0])).toEqual({ onHand: 20, quarantined: 0, expired: 0, reserved: 12, protected: 0, available: 18 });
    const binA = (await stock('item=MILK&location=bin-a'))[0];
    expect(binA.lines.map((l: any) => [l.lot, l.location, l.status, l.onHand])).toEqual([['OLD-A', 'bin-a', 'expired', 3], ['GOOD-A', 'bin-a', 'available', 10]]);
  });

  it('a location lists only the items stocked there', async () => {
    expect((await stock('location=bin-b')).map((r: any) => r.item)).toEqual(['MILK']);
    expect((await stock('location=dry')).map((r: any) => [r.item, r.onHand, r.available])).toEqual([['MILK', 20, 18], ['SALT', 7, 7]]);
  });

  it('a protected channel pool lowers everyone else’s ATP, at every location', async () => {
    await ok(f.as('sales', 'PUT', '/api/channel-pools/MILK/vip', { qty: 5 }), 200);
    const [all] = await stock('item=MILK');
    expect([all.protected, all.available]).toEqual([5, 13]);
    expect(all.pools).toEqual([{ channel: 'vip', qty: 5, used: 0, available: 18 }]);
    const [dry] = await stock('item=MILK&location=dry');
    expect([dry.available, dry.pools[0].available]).toEqual([13, 18]);
    const [binA] = await stock('item=MILK&location=bin-a');
    expect([binA.available, binA.pools[0].available]).toEqual([10, 10]);
    await ok(f.as('sales', 'PUT', '/api/channel-pools/MILK/vip', { qty: 0 }), 200);
  });

  it('an unknown location is a 404 naming the field, not an empty warehouse', async () => {
    const r = await f.as('viewer', 'GET', '/api/stock?location=nowhere');
    expect(r.status).toBe(404);
    expect(r.json.details[0].field).toBe('querystring.location');
  });
});
