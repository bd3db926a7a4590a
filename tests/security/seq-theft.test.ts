import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { MemoryOutbox } from '../../edge/outbox/memory-outbox.ts';
import { Uplink } from '../../edge/uplink/uplink.ts';
import { MemoryDeadLetters } from '../../edge/dead-letters.ts';
import { engineLabel } from '../helpers/db.ts';
import { registerGateway } from '../helpers/gateways.ts';
import { waitFor } from '../helpers/net.ts';
import { addGateway, revokeGateway } from '../../cloud/gateways/registry.ts';
import { startUplinkRig, type UplinkRig } from './uplink-rig.ts';

// Issue #11, "a seq can be stolen": whoever can publish on a gateway's batch topic reads its
// stream and seq from the ack topic and sends empty batches with the next seqs first. Before,
// the real gateway's next batches were then acked `duplicate` and their readings dropped while
// the gateway believed all was delivered. Now a batch whose (gateway, stream, seq) is held by
// other content is refused with SP_ERR_UPLINK_SEQ_CONFLICT, kept whole in the cloud's dead
// letters (and the edge's), and an admin alert names the stream and seqs — the real readings are
// never silently gone. The real gateway is the edge's own Uplink (stop-and-wait, resend until acked).

const GW = 'gw-real';
const T = Date.parse('2026-12-02T06:00:00Z');
let rig: UplinkRig;
let client: MqttClient;
let uplink: Uplink;
let outbox: MemoryOutbox;
const edgeDead = new MemoryDeadLetters();

const reading = (i: number) => ({ type: 'reading' as const, reading: { sensor: 'chiller-t1', kind: 'temperature' as const, ts: T + i * 1000, value: 3 + i / 100, quality: 'good' as const } });
const q = <T = any>(sql: string, p: unknown[] = []) => rig.tdb.db.query<T>(sql, p);

beforeAll(async () => {
  rig = await startUplinkRig((tdb) => registerGateway(tdb.db, GW).then(() => undefined));
  client = await mqtt.connectAsync(rig.broker.url, { clientId: 'gw-real-uplink' });
  outbox = new MemoryOutbox();
  uplink = new Uplink({ gateway: GW, client, outbox, log: pino({ level: 'silent' }), deadLetters: edgeDead, flushMs: 20, batchMaxItems: 50, ackTimeoutMs: 2000 });
  await uplink.start();
});

afterAll(async () => {
  await uplink?.stop();
  await client?.endAsync();
  await rig?.stop();
});

describe(`seq theft (${engineLabel})`, () => {
  it('pre-empted seqs: the real batches are refused, kept and alerted — never acked as duplicates', async () => {
    outbox.append([{ type: 'manifest', manifest: { site: 'site', zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 } ], sensors: [{ id: 'chiller-t1', zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }], devices: [] } }, reading(0)]);
    uplink.notify(true);
    await waitFor(() => uplink.idle() && rig.acks.some((a) => a.gateway === GW), 'first batch acked');
    // the attacker reads the stream and seq from the ack topic…
    const seen = rig.acks.filter((a) => a.gateway === GW).at(-1)!;
    expect(seen).toMatchObject({ status: 'committed', seq: 1 });
    // …and takes the next three seqs with empty batches
    for (const seq of [2, 3, 4]) expect((await rig.send(GW, { stream: seen.stream, seq })).status).toBe('committed');

    // the real gateway goes on: three batches of readings, then a fourth
    for (const b of [1, 2, 3, 4]) {
      outbox.append(Array.from({ length: 10 }, (_, k) => reading(b * 10 + k)));
      uplink.notify(true);
      await waitFor(() => uplink.idle(), `real batch ${b} answered`);
    }

    // what the gateway sees: three rejections with the coded reason, the batches in its dead letters
    expect(uplink.stats.rejected).toBe(3);
    expect(edgeDead.list().map((d) => d.code)).toEqual(['SP_ERR_UPLINK_SEQ_CONFLICT', 'SP_ERR_UPLINK_SEQ_CONFLICT', 'SP_ERR_UPLINK_SEQ_CONFLICT']);
    const gwAcks = rig.acks.filter((a) => a.gateway === GW && a.stream === seen.stream);
    expect(gwAcks.filter((a) => a.status === 'duplicate')).toHaveLength(0);

    // what the cloud keeps: each real batch whole, with its readings
    const dead = await q<{ code: string; payload: string; reason: string }>(`SELECT code, payload, reason FROM dead_letters WHERE source = $1 ORDER BY id`, [`uplink:${GW}`]);
    expect(dead.map((d) => d.code)).toEqual(['SP_ERR_UPLINK_SEQ_CONFLICT', 'SP_ERR_UPLINK_SEQ_CONFLICT', 'SP_ERR_UPLINK_SEQ_CONFLICT']);
    expect(dead.map((d) => JSON.parse(d.payload).seq)).toEqual([2, 3, 4]);
    expect(dead.flatMap((d) => JSON.parse(d.payload).readings.map((r: any) => r.ts))).toEqual(Array.from({ length: 30 }, (_, i) => T + (10 + i) * 1000));
    // the batch after the stolen range is stored as usual
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM readings WHERE sensor = 'chiller-t1' AND ts >= $1`, [new Date(T + 40_000)]))[0]!.n).toBe(10);

    // what the operator sees: one critical alert per stolen seq, naming stream and seq
    const alerts = ((await rig.api('/api/alerts?state=active')).json as any[]).filter((a) => a.rule === 'gateway_refused');
    expect(alerts).toHaveLength(3);
    for (const seq of [2, 3, 4]) {
      expect(alerts.find((a) => a.message.includes(`seq ${seq} of "${GW}"`))).toMatchObject({ severity: 'critical', zone: 'gateways' });
    }
    expect(alerts[0].message).toMatch(/SP_ERR_UPLINK_SEQ_CONFLICT.*already committed with other content/);
  });

  it('a resend with the same content is still a duplicate (sentAt differs)', async () => {
    const batch = { stream: 'resend', seq: 1, readings: [{ sensor: 'chiller-t1', kind: 'temperature', ts: T + 900_000, value: 4, quality: 'good' }] };
    expect((await rig.send(GW, batch)).status).toBe('committed');
    expect((await rig.send(GW, { ...batch, sentAt: Date.now() + 5000 })).status).toBe('duplicate');
  });

  it('big batches (one COPY for a group, cloud/ingest/store-group.ts): a replay is a duplicate, a forged batch under a used seq is refused and kept, readings stored before are skipped alone', async () => {
    const big = (from: number, n = 100) => Array.from({ length: n }, (_, i) => ({ sensor: 'chiller-t1', kind: 'temperature', ts: T + 2_000_000 + (from + i) * 1000, value: 5 + i / 100, quality: 'good' }));
    const since = new Date(T + 2_000_000);
    const stored = async () => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM readings WHERE sensor = 'chiller-t1' AND ts >= $1`, [since]))[0]!.n;
    expect(await rig.send(GW, { stream: 'big', seq: 1, readings: big(0) })).toMatchObject({ status: 'committed' });
    expect(await stored()).toBe(100);
    // replayed as it was (a resend): nothing written twice
    expect((await rig.send(GW, { stream: 'big', seq: 1, readings: big(0), sentAt: Date.now() + 5000 })).status).toBe('duplicate');
    // forged: the same seq with other readings — refused with its code, kept whole, nothing stored
    expect(await rig.send(GW, { stream: 'big', seq: 1, readings: big(500) })).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_SEQ_CONFLICT' } });
    const [kept] = await q<{ payload: string }>(`SELECT payload FROM dead_letters WHERE source = $1 AND code = 'SP_ERR_UPLINK_SEQ_CONFLICT' ORDER BY id DESC LIMIT 1`, [`uplink:${GW}`]);
    expect(JSON.parse(kept!.payload).readings).toHaveLength(100);
    expect(await stored()).toBe(100);
    // the stream goes on: half of the next batch was stored before (the COPY's fallback skips those alone)
    expect(await rig.send(GW, { stream: 'big', seq: 2, readings: big(50) })).toMatchObject({ status: 'committed' });
    expect(await stored()).toBe(150);
  });

  it('a stream opened under a revoked credential stays refused after the gateway is re-added', async () => {
    expect((await rig.send(GW, { stream: 'before-revoke', seq: 1 })).status).toBe('committed');
    await revokeGateway(rig.tdb.db, GW);
    expect(await rig.send(GW, { stream: 'before-revoke', seq: 2 })).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_GATEWAY_UNKNOWN' } });
    await addGateway(rig.tdb.db, { id: GW, createdBy: 'test' });
    expect(await rig.send(GW, { stream: 'before-revoke', seq: 3 })).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_UPLINK_STREAM_REVOKED' } });
    expect((await rig.send(GW, { stream: 'after-readd', seq: 1 })).status).toBe('committed');
  });
});
