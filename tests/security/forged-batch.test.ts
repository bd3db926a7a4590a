import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createLocation, createPartner } from '../../cloud/inventory/master-data.ts';
import { createPurchaseOrder, purchaseOrderAction } from '../../cloud/inventory/documents/purchase-orders.ts';
import { SYSTEM } from '../../cloud/inventory/model.ts';
import { engineLabel } from '../helpers/db.ts';
import { registerGateway } from '../helpers/gateways.ts';
import { startUplinkRig, type UplinkRig } from './uplink-rig.ts';

// Issue #11, "the cloud believes whoever publishes a batch", replayed against a real cloud:
// - an unknown gateway `evil-gw` reassigns zone chiller to itself with limits −100…100, writes
//   into chiller-t1, raises a critical alert, books 1000 units and receives purchase order A;
// - a registered gateway of another site claims the chiller and its sensor, writes into
//   chiller-t1, raises an alert on the chiller, matches site A's purchase order, and changes the
//   limits of its own zone through its manifest.
// The first is rejected whole and touches nothing; the second loses exactly those items (kept
// with their coded reason) and keeps its own readings; admins get a `gateway_refused` alert.

const T = Date.parse('2026-12-01T08:00:00Z');
const GTIN = '80614141123458';
let rig: UplinkRig;
let po: number;

const zone = (id: string, low: number, high: number) => ({ id, name: id, profile: { low, high }, delaySec: 60, hysteresis: 0.5 });
const sensor = (id: string, z: string) => ({ id, zone: z, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' });
const reading = (s: string, i: number, value = 4) => ({ sensor: s, kind: 'temperature', ts: T + i * 1000, value, quality: 'good' });
const receipt = (id: string, zoneId: string, document?: string) => ({
  id, type: 'receipt', ts: T, item: { gtin: GTIN }, quantity: 1000, unit: 'case', location: { zone: zoneId }, source: { device: 'portal', kind: 'rfid' }, evidence: {}, ...(document ? { document } : {}),
});
const q = <T = any>(sql: string, p: unknown[] = []) => rig.tdb.db.query<T>(sql, p);
const poStatus = async () => (await q<{ status: string }>('SELECT status FROM documents WHERE id = $1', [po]))[0]!.status;

beforeAll(async () => {
  rig = await startUplinkRig(async ({ db }) => {
    await registerGateway(db, 'gw-a', { site: 'site-a' });
    await registerGateway(db, 'gw-b', { site: 'site-b' });
    for (const s of ['site-a', 'site-b']) await createLocation(db, { id: s, kind: 'site', name: s });
    await createLocation(db, { id: 'DOCK-A', kind: 'zone', parent: 'site-a', name: 'Dock A', iotZone: 'dock-a' });
    await createLocation(db, { id: 'DOCK-B', kind: 'zone', parent: 'site-b', name: 'Dock B', iotZone: 'dock-b' });
    await createItem(db, { sku: 'CASE', gtin: GTIN, name: 'Case', unit: 'case' });
    await createPartner(db, 'suppliers', { id: 'SUP', name: 'Supplier' });
    po = (await createPurchaseOrder(db, { supplier: 'SUP', lines: [{ item: 'CASE', qty: 1000, priceMinor: 100 }] }, SYSTEM)).id;
    await purchaseOrderAction(db, po, 'submit', {}, SYSTEM);
    await purchaseOrderAction(db, po, 'approve', {}, SYSTEM);
    // site A's order: offered only to site A's gateways (expected-publisher.ts reads documents.location)
    await db.query(`UPDATE documents SET location = 'DOCK-A' WHERE id = $1`, [po]);
  });
  // the real gateway of site A: its chiller (2…8 °C), its probe, the dock
  const ack = await rig.send('gw-a', {
    stream: 'a-1', seq: 1,
    manifest: { site: 'site-a', zones: [zone('chiller', 2, 8), zone('dock-a', -50, 50)], sensors: [sensor('chiller-t1', 'chiller')], devices: [] },
    readings: [reading('chiller-t1', 0)],
  });
  expect(ack.status).toBe('committed');
});

afterAll(async () => { await rig?.stop(); });

describe(`forged batches (${engineLabel})`, () => {
  it('an unknown gateway is rejected whole with a coded reason and touches nothing', async () => {
    const ack = await rig.send('evil-gw', {
      stream: 'evil', seq: 1,
      manifest: { site: 'site-a', zones: [zone('chiller', -100, 100)], sensors: [sensor('chiller-t1', 'chiller')], devices: [] },
      readings: [reading('chiller-t1', 5, 40)],
      alerts: [{ id: 'evil-alert', transition: 'raised', rule: 'high', zone: 'chiller', severity: 'critical', ts: T, since: T, message: 'fake' }],
      movements: [receipt('evil-pass', 'dock-a', `po:${po}`)],
    });
    expect(ack).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_GATEWAY_UNKNOWN' } });

    const chiller = (await rig.api('/api/zones')).json.find((z: any) => z.id === 'chiller');
    expect(chiller).toMatchObject({ gateway: 'gw-a', profile: { low: 2, high: 8 } });
    expect(await q(`SELECT 1 FROM readings WHERE gateway = 'evil-gw' OR value = 40`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM alerts WHERE id = 'evil-alert'`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM movements`)).toHaveLength(0);
    expect(await poStatus()).toBe('approved');
    expect(await q(`SELECT 1 FROM uplink_batches WHERE gateway = 'evil-gw'`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM gateways WHERE id = 'evil-gw'`)).toHaveLength(0);

    // kept whole, and the admins are told
    const [dead] = await q<{ code: string; payload: string }>(`SELECT code, payload FROM dead_letters WHERE source = 'uplink:evil-gw'`);
    expect(dead!.code).toBe('SP_ERR_GATEWAY_UNKNOWN');
    expect(JSON.parse(dead!.payload).movements[0].id).toBe('evil-pass');
    const alerts = (await rig.api('/api/alerts?state=active')).json as any[];
    expect(alerts.find((a) => a.rule === 'gateway_refused' && a.message.includes('evil-gw'))).toMatchObject({ severity: 'critical' });
  });

  it("a registered gateway loses only what it does not own: another's zone and sensor, another site's order, a limit change", async () => {
    const ack = await rig.send('gw-b', {
      stream: 'b-1', seq: 1,
      manifest: {
        site: 'site-b', devices: [],
        zones: [zone('freezer-b', -30, -15), zone('dock-b', -50, 50), zone('chiller', -100, 100)],
        sensors: [sensor('freezer-b-t1', 'freezer-b'), sensor('chiller-t1', 'chiller'), sensor('sneaky', 'chiller')],
      },
      readings: [reading('freezer-b-t1', 1, -20), reading('freezer-b-t1', 2, -21), reading('chiller-t1', 3, 40)],
      alerts: [
        { id: 'b-fake', transition: 'raised', rule: 'high', zone: 'chiller', severity: 'critical', ts: T, since: T, message: 'fake' },
        { id: 'b-own', transition: 'raised', rule: 'high', zone: 'freezer-b', severity: 'warning', ts: T, since: T, message: 'own' },
      ],
      movements: [receipt('b-pass', 'dock-b', `po:${po}`)],
    });
    expect(ack.status).toBe('committed');

    // its own: stored
    expect((await q(`SELECT value FROM readings WHERE sensor = 'freezer-b-t1' ORDER BY ts`)).map((r: any) => r.value)).toEqual([-20, -21]);
    expect(await q(`SELECT 1 FROM alerts WHERE id = 'b-own'`)).toHaveLength(1);
    expect((await q(`SELECT gateway FROM zones WHERE id = 'freezer-b'`))[0]).toEqual({ gateway: 'gw-b' });
    // not its own: untouched
    const chiller = (await rig.api('/api/zones')).json.find((z: any) => z.id === 'chiller');
    expect(chiller).toMatchObject({ gateway: 'gw-a', profile: { low: 2, high: 8 } });
    expect((await q(`SELECT gateway, zone FROM sensors WHERE id = 'chiller-t1'`))[0]).toEqual({ gateway: 'gw-a', zone: 'chiller' });
    expect(await q(`SELECT 1 FROM sensors WHERE id = 'sneaky'`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM readings WHERE value = 40`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM alerts WHERE id = 'b-fake'`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM movements`)).toHaveLength(0);
    expect(await poStatus()).toBe('approved');

    const dead = await q<{ code: string; reason: string }>(`SELECT code, reason FROM dead_letters WHERE source = 'uplink:gw-b' ORDER BY id`);
    expect(dead.every((d) => d.code === 'SP_ERR_GATEWAY_REFUSED')).toBe(true);
    expect(dead.map((d) => d.reason)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^manifest\.0: zone chiller: zone "chiller" belongs to gateway "gw-a"/),
      expect.stringMatching(/^manifest\.0: sensor chiller-t1: .*"chiller".*gw-a/),
      expect.stringMatching(/^readings\.\d+: reading chiller-t1: sensor "chiller-t1" belongs to gateway "gw-a"/),
      expect.stringMatching(/^alerts\.0: alert b-fake: .*gw-a/),
      expect.stringMatching(new RegExp(`^movements\\.0: movement b-pass: document po:${po} belongs to site "site-a"`)),
    ]));
    const refusedAlerts = ((await rig.api('/api/alerts?state=active')).json as any[]).filter((a) => a.rule === 'gateway_refused' && a.message.includes('"gw-b"'));
    expect(refusedAlerts.length).toBeGreaterThanOrEqual(5);
    expect(refusedAlerts.find((a) => a.zone === 'chiller')).toBeTruthy();

    // the same manifest again (every stream start) raises nothing new
    const again = await rig.send('gw-b', { stream: 'b-1', seq: 2, manifest: { site: 'site-b', devices: [], zones: [zone('chiller', -100, 100)], sensors: [] } });
    expect(again.status).toBe('committed');
    expect(((await rig.api('/api/alerts?state=active')).json as any[]).filter((a) => a.rule === 'gateway_refused' && a.message.includes('"gw-b"'))).toHaveLength(refusedAlerts.length);
  });

  it('zone limits change through the audited API, not through a manifest', async () => {
    const ack = await rig.send('gw-b', { stream: 'b-1', seq: 3, manifest: { site: 'site-b', devices: [], zones: [zone('freezer-b', -100, 100)], sensors: [sensor('freezer-b-t1', 'freezer-b')] }, readings: [reading('freezer-b-t1', 9, -19)] });
    expect(ack.status).toBe('committed');
    const freezer = () => rig.api('/api/zones').then((r) => r.json.find((z: any) => z.id === 'freezer-b'));
    expect((await freezer()).profile).toEqual({ low: -30, high: -15 });
    expect(await q(`SELECT 1 FROM readings WHERE sensor = 'freezer-b-t1' AND value = -19`)).toHaveLength(1);
    expect((await q<{ reason: string }>(`SELECT reason FROM dead_letters WHERE source = 'uplink:gw-b' ORDER BY id DESC LIMIT 1`))[0]!.reason)
      .toMatch(/changes zone "freezer-b" limits from -30…-15 to -100…100; limits change through PATCH \/api\/zones\/freezer-b/);

    const qa = await rig.token('qa');
    expect((await rig.api('/api/zones/freezer-b', { method: 'PATCH', body: { low: -28 }, token: qa })).status).toBe(200);
    expect((await freezer()).profile).toEqual({ low: -28, high: -15 });
    expect((await rig.api('/api/zones/freezer-b', { method: 'PATCH', body: { low: -10 }, token: qa })).json).toMatchObject({ code: 'SP_ERR_VALIDATION' });
    expect((await rig.api('/api/zones/freezer-b', { method: 'PATCH', body: { low: -20 }, token: await rig.token('warehouse') })).status).toBe(403);
    const audit = (await rig.api('/api/audit?entity=zone&entityId=freezer-b')).json as any[];
    expect(audit[0]).toMatchObject({ actor: 'security-qa', before: { low: -30, high: -15 }, after: { low: -28, high: -15 } });
  });

  // An alarm's batch carries no manifest: it is admitted, keyed and has its owners read in one
  // statement (cloud/ingest/open-batch.ts). The same attacks through that path: each bad item is
  // refused alone (coded, kept), the rest is stored, a replay is a duplicate, another content
  // under a taken seq is refused whole and kept, and the stream goes on.
  it('an alarm batch (no manifest) loses only its bad items; its replay is a duplicate, a forged seq is refused, the next seq goes on', async () => {
    const ownAlert = { id: 'b-alarm', transition: 'raised', rule: 'low', zone: 'freezer-b', severity: 'critical', ts: T + 60_000, since: T, value: -35, threshold: -30, message: 'freezer too cold' };
    const batch = {
      stream: 'b-alarm', seq: 1,
      readings: [reading('freezer-b-t1', 60, -35), reading('chiller-t1', 61, 40), reading('bad\u0000probe', 62, 41)],
      alerts: [
        ownAlert,
        { id: 'b-alarm-fake', transition: 'raised', rule: 'high', zone: 'chiller', severity: 'critical', ts: T + 60_000, since: T, message: 'fake' },
        { id: 'b-alarm-nul', transition: 'raised', rule: 'high', zone: 'cold\u0000room', severity: 'critical', ts: T + 60_000, since: T, message: 'unstorable zone' },
      ],
    };
    const deadBefore = (await q(`SELECT 1 FROM dead_letters WHERE source = 'uplink:gw-b'`)).length;
    const ack = await rig.send('gw-b', batch);
    expect(ack).toMatchObject({ status: 'committed', rejectedItems: 4 });
    // its own: stored
    expect(await q(`SELECT value FROM readings WHERE sensor = 'freezer-b-t1' AND value = -35`)).toHaveLength(1);
    expect(await q(`SELECT gateway, state FROM alerts WHERE id = 'b-alarm'`)).toEqual([{ gateway: 'gw-b', state: 'active' }]);
    // not its own, or not storable: refused one by one, each kept with its reason
    expect(await q(`SELECT 1 FROM readings WHERE value IN (40, 41)`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM alerts WHERE id IN ('b-alarm-fake', 'b-alarm-nul')`)).toHaveLength(0);
    const dead = await q<{ code: string; reason: string }>(`SELECT code, reason FROM dead_letters WHERE source = 'uplink:gw-b' ORDER BY id OFFSET $1`, [deadBefore]);
    expect(dead.map((d) => d.code)).toEqual(Array(4).fill('SP_ERR_GATEWAY_REFUSED'));
    expect(dead.map((d) => d.reason)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^readings\.1: reading chiller-t1: sensor "chiller-t1" belongs to gateway "gw-a"/),
      expect.stringMatching(/^readings\.2: reading .*bad.*probe.*: an id with characters the database cannot store/),
      expect.stringMatching(/^alerts\.1: alert b-alarm-fake: .*gw-a/),
      expect.stringMatching(/^alerts\.2: alert "b-alarm-nul": an id with characters the database cannot store/),
    ]));

    // replayed (a resend: sentAt differs, content the same): a duplicate, nothing written twice
    expect(await rig.send('gw-b', batch)).toMatchObject({ status: 'duplicate' });
    expect(await q(`SELECT 1 FROM readings WHERE sensor = 'freezer-b-t1' AND value = -35`)).toHaveLength(1);
    expect(await q(`SELECT 1 FROM dead_letters WHERE source = 'uplink:gw-b'`)).toHaveLength(deadBefore + 4);

    // other content under the same seq: refused whole, kept whole, not stored
    const forged = await rig.send('gw-b', { ...batch, readings: [reading('freezer-b-t1', 63, -99)], alerts: [{ ...ownAlert, id: 'b-alarm-forged' }] });
    expect(forged).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_SEQ_CONFLICT' } });
    expect(await q(`SELECT 1 FROM readings WHERE value = -99`)).toHaveLength(0);
    expect(await q(`SELECT 1 FROM alerts WHERE id = 'b-alarm-forged'`)).toHaveLength(0);
    const [kept] = await q<{ code: string; payload: string }>(`SELECT code, payload FROM dead_letters WHERE source = 'uplink:gw-b' ORDER BY id DESC LIMIT 1`);
    expect(kept!.code).toBe('SP_ERR_UPLINK_SEQ_CONFLICT');
    expect(JSON.parse(kept!.payload).alerts[0].id).toBe('b-alarm-forged');

    // the stream goes on
    const next = await rig.send('gw-b', { stream: 'b-alarm', seq: 2, readings: [reading('freezer-b-t1', 64, -36)], alerts: [{ ...ownAlert, transition: 'cleared', ts: T + 64_000 }] });
    expect(next.status).toBe('committed');
    expect(await q(`SELECT state FROM alerts WHERE id = 'b-alarm'`)).toEqual([{ state: 'cleared' }]);
  });

  // An alert id is its raiser's: a gateway naming another gateway's alert id, even in a zone of
  // its own, has that item refused (coded, kept in dead letters, an admin alert) and the rest of
  // its batch stored. The clear's statement (cloud/notify/alerts.ts) also guards on the gateway,
  // should an item ever get past the screening.
  it("a clear or a raise naming another gateway's alert id is refused on its own, kept with its reason; the alert stays active, its incident open, the batch's own reading is stored", async () => {
    const hot = { id: 'a-hot', transition: 'raised', rule: 'high', zone: 'chiller', sensor: 'chiller-t1', severity: 'critical', ts: T + 70_000, since: T + 10_000, value: 12, threshold: 8, message: 'chiller too warm' };
    expect((await rig.send('gw-a', { stream: 'a-1', seq: 2, readings: [reading('chiller-t1', 70, 12)], alerts: [hot] })).status).toBe('committed');
    const [inc] = await q<{ id: string; state: string }>(`SELECT i.id, i.state FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = 'a-hot'`);
    expect(inc!.state).toBe('open');

    const deadBefore = (await q(`SELECT 1 FROM dead_letters WHERE source = 'uplink:gw-b'`)).length;
    const forged = { stream: 'b-clear', seq: 1, readings: [reading('freezer-b-t1', 71, -21.5)],
      alerts: [
        { ...hot, transition: 'cleared', zone: 'freezer-b', sensor: 'freezer-b-t1', ts: T + 71_000, message: 'forged clear' },
        { ...hot, zone: 'freezer-b', sensor: 'freezer-b-t1', ts: T + 71_000, severity: 'warning', message: 'forged raise' },
        { ...hot, id: 'b-\u0000id', zone: 'freezer-b', sensor: 'freezer-b-t1', ts: T + 71_000, message: 'unstorable id' },
        { ...hot, id: `b-${'x'.repeat(300)}`, zone: 'freezer-b', sensor: 'freezer-b-t1', ts: T + 71_000, message: 'an id over 256 characters' },
      ] };
    const ack = await rig.send('gw-b', forged);
    expect(ack).toMatchObject({ status: 'committed', rejectedItems: 4 });
    expect(await q(`SELECT gateway, state, severity, cleared_at FROM alerts WHERE id = 'a-hot'`)).toEqual([{ gateway: 'gw-a', state: 'active', severity: 'critical', cleared_at: null }]);
    expect(await q(`SELECT state FROM incidents WHERE id = $1`, [inc!.id])).toEqual([{ state: 'open' }]);
    expect(await q(`SELECT 1 FROM readings WHERE sensor = 'freezer-b-t1' AND value = -21.5`)).toHaveLength(1);
    const dead = await q<{ code: string; reason: string }>(`SELECT code, reason FROM dead_letters WHERE source = 'uplink:gw-b' ORDER BY id OFFSET $1`, [deadBefore]);
    expect(dead.map((d) => d.code)).toEqual(Array(4).fill('SP_ERR_GATEWAY_REFUSED'));
    expect(dead.map((d) => d.reason)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^alerts\.0: alert a-hot: alert id "a-hot" was raised by gateway "gw-a"; a gateway clears only alerts of its own/),
      expect.stringMatching(/^alerts\.1: alert a-hot: alert id "a-hot" was raised by gateway "gw-a"; a gateway raises only alerts of its own/),
      expect.stringMatching(/^alerts\.2: alert .*b-.*id.*: an id with characters the database cannot store/),
      expect.stringMatching(/^alerts\.3: alert .*b-xxx.*: an id with characters the database cannot store .* or longer than 256/),
    ]));
    // replayed: a duplicate, nothing refused or kept twice, the other's alert still untouched
    expect(await rig.send('gw-b', forged)).toMatchObject({ status: 'duplicate' });
    expect(await q(`SELECT 1 FROM dead_letters WHERE source = 'uplink:gw-b'`)).toHaveLength(deadBefore + 4);
    expect(await q(`SELECT state FROM alerts WHERE id = 'a-hot'`)).toEqual([{ state: 'active' }]);
  });
});
