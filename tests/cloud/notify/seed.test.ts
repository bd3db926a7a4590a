import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNotifySeedFile } from '../../../cloud/notify/seed.ts';
import { listContacts, listRoutes } from '../../../cloud/notify/contacts.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';

// Contacts and routes from a file (STOCKPULSE_NOTIFY_FILE at cloud start): keys come from the
// environment, routes name their contacts, applying the same file twice changes nothing, and a
// mistake names the field.

let tdb: TestDatabase;
let dir: string;
beforeAll(async () => {
  tdb = await testDatabase();
  dir = mkdtempSync(join(tmpdir(), 'sp-notify-seed-'));
});
afterAll(async () => {
  await tdb?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const seed = {
  contacts: [
    { name: 'QA on duty', role: 'qa', mobile: '13800001111', channels: [{ type: 'dingtalk', address: 'https://oapi.dingtalk.com/robot/send?access_token=${DING_TOKEN}', secret: '${DING_SECRET}' }] },
    { name: 'Warehouse lead', role: 'warehouse', channels: [{ type: 'email', address: 'lead@example.com' }] },
  ],
  routes: [{ name: 'cold chain', kind: 'high', contacts: ['QA on duty', 'Warehouse lead'], escalateAfterMin: 15, repeatEveryMin: 10 }],
};

describe(`notification seed file (${engineLabel})`, () => {
  it('applies contacts and routes by name, secrets from the environment, idempotently', async () => {
    const file = join(dir, 'notify.json');
    writeFileSync(file, JSON.stringify(seed));
    const env = { DING_TOKEN: 'tok-1', DING_SECRET: 'SEC-1' };
    expect(await applyNotifySeedFile(tdb.db, file, env)).toEqual({ contacts: 2, routes: 1 });
    expect(await applyNotifySeedFile(tdb.db, file, env)).toEqual({ contacts: 2, routes: 1 });
    const contacts = await listContacts(tdb.db);
    expect(contacts.map((c) => c.name)).toEqual(['QA on duty', 'Warehouse lead']);
    expect(contacts[0]!.channels[0]).toMatchObject({ address: 'https://oapi.dingtalk.com/robot/send?access_token=tok-1', secret: 'SEC-1' });
    const routes = await listRoutes(tdb.db);
    expect(routes).toHaveLength(1);
    expect(routes[0]).toMatchObject({ kind: 'high', contactIds: contacts.map((c) => c.id), escalateAfterMin: 15, repeatEveryMin: 10 });
  });

  it('names the field of a mistake', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ routes: [{ name: 'x', contacts: ['Nobody'] }] }));
    await expect(applyNotifySeedFile(tdb.db, file, {})).rejects.toMatchObject({ code: 'SP_ERR_CONFIG', details: [{ field: 'routes.0.contacts.0', reason: 'no contact named "Nobody"' }] });
    writeFileSync(file, JSON.stringify({ contacts: [{ name: 'y', role: 'chef' }] }));
    await expect(applyNotifySeedFile(tdb.db, file, {})).rejects.toMatchObject({ code: 'SP_ERR_CONFIG', details: [expect.objectContaining({ field: 'contacts.0.role' })] });
  });
});
