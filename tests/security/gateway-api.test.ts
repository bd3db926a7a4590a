import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../cloud/auth/tokens.ts';
import { engineLabel } from '../helpers/db.ts';
import { startUplinkRig, type UplinkRig } from './uplink-rig.ts';

// /api/gateways: admin only; the credential is in the POST response once and nowhere else (not
// in the list, not in the audit log, only its hash in the database); a revoked gateway's batches
// are refused at once; the id is checked before anything is stored.

let rig: UplinkRig;
beforeAll(async () => { rig = await startUplinkRig(); });
afterAll(async () => { await rig?.stop(); });

describe(`gateway registry API (${engineLabel})`, () => {
  it('add (credential once), list, revoke — admin only, audited without the secret', async () => {
    const added = await rig.api('/api/gateways', { method: 'POST', body: { id: 'gw-api', site: 'shop-1', zones: ['cold-1'] } });
    expect(added.status).toBe(201);
    const { credential } = added.json;
    expect(credential).toMatch(/^spg_[A-Za-z0-9_-]{43}$/);
    expect(added.json).toMatchObject({ id: 'gw-api', site: 'shop-1', generation: 1, zones: ['cold-1'], revokedAt: null });
    expect((await rig.tdb.db.query<{ credential_hash: string }>(`SELECT credential_hash FROM gateway_registry WHERE id = 'gw-api'`))[0]!.credential_hash).toBe(hashToken(credential));

    const listed = await rig.api('/api/gateways');
    expect(listed.json).toEqual([expect.objectContaining({ id: 'gw-api', prefix: credential.slice(0, 8), lastSeen: null })]);
    expect(JSON.stringify(listed.json)).not.toContain(credential);
    const audit = await rig.api('/api/audit?entity=gateway&entityId=gw-api');
    expect(audit.json).toHaveLength(1);
    expect(JSON.stringify(audit.json)).not.toContain(credential);

    expect((await rig.send('gw-api', { stream: 's', seq: 1, manifest: { site: 'shop-1', zones: [], sensors: [], devices: [] } })).status).toBe('committed');
    expect((await rig.api('/api/gateways')).json[0].lastSeen).toEqual(expect.any(Number));

    // bad input: 400 naming the field; a second add of a live id: 409; other roles: 403
    expect((await rig.api('/api/gateways', { method: 'POST', body: { id: '../etc' } })).json).toMatchObject({ code: 'SP_ERR_VALIDATION' });
    expect((await rig.api('/api/gateways', { method: 'POST', body: { id: 'gw-api' } })).status).toBe(409);
    expect((await rig.api('/api/gateways', { method: 'POST', body: { id: 'gw-2', zones: ['cold-1'] } })).json).toMatchObject({ code: 'SP_ERR_CONFLICT' });
    expect((await rig.api('/api/gateways', { token: await rig.token('warehouse') })).status).toBe(403);

    const revoked = await rig.api('/api/gateways/gw-api/revoke', { method: 'POST' });
    expect(revoked.json.revokedAt).toEqual(expect.any(Number));
    expect(await rig.send('gw-api', { stream: 's', seq: 2 })).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_GATEWAY_UNKNOWN' } });
    expect((await rig.api('/api/gateways/nope/revoke', { method: 'POST' })).status).toBe(404);

    // re-added: a new credential, generation 2, its claims kept
    const again = await rig.api('/api/gateways', { method: 'POST', body: { id: 'gw-api' } });
    expect(again.json).toMatchObject({ generation: 2, site: 'shop-1', zones: ['cold-1'] });
    expect(again.json.credential).not.toBe(credential);
  });
});
