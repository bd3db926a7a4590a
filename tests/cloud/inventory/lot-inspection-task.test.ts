import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// A lot received into quarantine opens an "inspect and release" task in QA's queue; QA's decision
// on the lot (release or reject on its passport, or a status set through /api/lots/:id/status)
// closes that task in the same transaction, so the queue count drops. Releasing twice — one
// after the other or at the same moment — is one 200 and a coded 409, and the task stays closed
// once, by the first.

let tdb: TestDatabase;
let f: ApiFixture;
let po = 0;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'CREAM', name: 'Cream', lotTracked: true, costMinor: 50 });
  await f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Dairy Co' });
  po = (await f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'dairy', lines: [{ item: 'CREAM', qty: 100, priceMinor: 50 }] })).json.id;
  expect((await f.as('purchasing', 'POST', `/api/purchase-orders/${po}/submit`, {})).status).toBe(200);
  for (const role of ['finance', 'warehouse'] as const) {
    const doc = (await f.as('viewer', 'GET', `/api/purchase-orders/${po}`)).json;
    if (doc.status !== 'approved') await f.as(role, 'POST', `/api/purchase-orders/${po}/approve`, {});
  }
  expect((await f.as('viewer', 'GET', `/api/purchase-orders/${po}`)).json.status).toBe('approved');
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

/** QA's open queue as the tasks page asks for it */
const qaQueue = async () => (await f.as('qa', 'GET', '/api/tasks')).json as { id: number; action: string; title: string; status: string }[];
const inspections = async () => (await qaQueue()).filter((t) => t.action === 'inspect_lot');
const lotId = async (code: string) => (await f.as('viewer', 'GET', '/api/lots?item=CREAM')).json.find((l: { code: string }) => l.code === code).id as number;
const taskById = async (id: number) => (await f.as('qa', 'GET', '/api/tasks?status=all')).json.find((t: { id: number }) => t.id === id);

async function receiveQuarantined(...codes: string[]) {
  const r = await f.as('warehouse', 'POST', `/api/purchase-orders/${po}/receive`, {
    location: 'bin-a', lines: codes.map((lot) => ({ item: 'CREAM', qty: 10, lot, expiresOn: '2099-06-01', quarantine: true })),
  });
  expect(r.status).toBe(200);
}

describe(`a quarantined lot's inspection task closes with QA's decision (${engineLabel})`, () => {
  it('release: the task of that lot is done (by QA), the other lot of the same receipt stays in the queue', async () => {
    await receiveQuarantined('C-Q1', 'C-Q2');
    const before = await inspections();
    expect(before.map((t) => t.title)).toEqual(expect.arrayContaining([expect.stringContaining('lot C-Q1 of CREAM'), expect.stringContaining('lot C-Q2 of CREAM')]));
    expect(before).toHaveLength(2);
    const q1Task = before.find((t) => t.title.includes('C-Q1'))!;

    const r = await f.as('qa', 'POST', `/api/lots/${await lotId('C-Q1')}/release`, { reason: 'lab result fine' });
    expect(r.status).toBe(200);
    expect(r.json.lot.status).toBe('available');
    const after = await inspections();
    expect(after.map((t) => t.title)).toEqual([expect.stringContaining('lot C-Q2 of CREAM')]);
    expect(await taskById(q1Task.id)).toMatchObject({ status: 'done', closedBy: 'test-qa' });
  });

  it('releasing again is a coded 409 naming the lot, and the closed task is not touched', async () => {
    const id = await lotId('C-Q1');
    const closed = (await f.as('qa', 'GET', '/api/tasks?status=done')).json.find((t: { title: string }) => t.title.includes('C-Q1'));
    const again = await f.as('qa', 'POST', `/api/lots/${id}/release`, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'SP_ERR_CONFLICT', details: [{ field: 'params.id', reason: expect.stringMatching(/lot C-Q1 is available/) }] });
    expect(await taskById(closed.id)).toEqual(closed);
    // the generic status route: already available is a no-op answer, not an error
    const same = await f.as('qa', 'POST', `/api/lots/${id}/status`, { status: 'available', reason: 'again' });
    expect(same.status).toBe(200);
    expect(await taskById(closed.id)).toEqual(closed);
  });

  it('two releases at the same moment: one 200, one 409, one closed task', async () => {
    await receiveQuarantined('C-Q3');
    expect(await inspections()).toHaveLength(2);
    const id = await lotId('C-Q3');
    const both = await Promise.all([1, 2].map((n) => f.as('qa', 'POST', `/api/lots/${id}/release`, { reason: `release ${n}` })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await inspections()).map((t) => t.title)).toEqual([expect.stringContaining('lot C-Q2 of CREAM')]);
    const done = (await f.as('qa', 'GET', '/api/tasks?status=done')).json.filter((t: { title: string }) => t.title.includes('C-Q3'));
    expect(done).toHaveLength(1);
  });

  it('reject and a status set by hand close the task too; a lot with no task changes status as before', async () => {
    const reject = await f.as('qa', 'POST', `/api/lots/${await lotId('C-Q2')}/reject`, { reason: 'sour' });
    expect(reject.status).toBe(200);
    expect(await inspections()).toEqual([]);

    await receiveQuarantined('C-Q4');
    expect(await inspections()).toHaveLength(1);
    const byHand = await f.as('qa', 'POST', `/api/lots/${await lotId('C-Q4')}/status`, { status: 'available', reason: 'checked at the dock' });
    expect(byHand.status).toBe(200);
    expect(await inspections()).toEqual([]);

    // quarantined by hand (no receipt, no task) and released: nothing to close, nothing fails
    const plain = await f.as('qa', 'POST', '/api/lots', { item: 'CREAM', code: 'C-PLAIN', expiresOn: '2099-06-01' });
    expect(plain.status).toBe(201);
    expect((await f.as('qa', 'POST', `/api/lots/${plain.json.id}/status`, { status: 'quarantined', reason: 'smell' })).status).toBe(200);
    expect((await f.as('qa', 'POST', `/api/lots/${plain.json.id}/release`, { reason: 'fine' })).status).toBe(200);
    expect(await inspections()).toEqual([]);
  });
});
