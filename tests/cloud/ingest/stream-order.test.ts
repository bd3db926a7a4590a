import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { MqttIngest } from '../../../cloud/ingest/mqtt-ingest.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { PROTOCOL_VERSION, topics, type UplinkAck, type UplinkBatchInput } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The edge may have several batches of a stream in flight (issue #12, the seq window); the cloud
// still decides them strictly in seq order (cloud/ingest/stream-order.ts). Here an "edge" that
// is a bare MQTT client sends out of order on purpose: a batch that overtakes its predecessor is
// answered `gap` and nothing of it is stored; once the predecessor is decided the resend is
// taken — so a zone's alarm clear never lands before its raise. A rejected batch moves the
// stream on (for this instance and, through the database, for a restarted one), and a batch
// whose predecessor never comes is taken after the give-up time.

const GW = 'gw-order';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const log = pino({ level: 'silent' });

let broker: EmbeddedBroker;
let tdb: TestDatabase;
let ingest: MqttIngest;
let cloudClient: MqttClient;
let edge: MqttClient;
const acks: UplinkAck[] = [];

const manifest = {
  site: 'bakery',
  zones: [{ id: 'o-chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 60, hysteresis: 0.5 }],
  sensors: [{ id: 'o-t1', zone: 'o-chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }],
  devices: [],
};
const reading = (i: number) => ({ sensor: 'o-t1', kind: 'temperature' as const, ts: T0 + i * 1000, value: 4 + i / 10, quality: 'good' as const });
const alert = (transition: 'raised' | 'cleared', ts: number) => ({ id: 'o-chiller:high:1', transition, rule: 'high' as const, zone: 'o-chiller', sensor: 'o-t1', severity: 'critical' as const, ts, since: T0, value: 9, threshold: 8, message: `chiller ${transition}` });

const batch = (seq: number, extra: Partial<UplinkBatchInput> = {}): UplinkBatchInput =>
  ({ v: PROTOCOL_VERSION, gateway: GW, stream: 'st-1', seq, sentAt: Date.now(), readings: [reading(seq)], alerts: [], ...extra });
const send = (b: unknown) => edge.publishAsync(topics.batch(GW), JSON.stringify(b), { qos: 1 });
/** the next ack for seq after `from` acks had arrived */
const ackAfter = (from: number, seq: number) => waitFor(() => acks.slice(from).find((a) => a.seq === seq), `ack of seq ${seq}`);
const readingsStored = async () => (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE sensor = $1', ['o-t1']))[0]!.n;

async function startIngest(gapGiveUpMs?: number): Promise<void> {
  cloudClient = await mqtt.connectAsync(broker.url);
  ingest = new MqttIngest({ db: tdb.db, client: cloudClient, log, targets: [], metrics: createCloudMetrics(), ...(gapGiveUpMs ? { gapGiveUpMs } : {}) });
  await ingest.start();
}
async function stopIngest(): Promise<void> {
  await ingest.stop();
  await cloudClient.endAsync();
}

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'bakery' });
  await startIngest();
  edge = await mqtt.connectAsync(broker.url);
  await edge.subscribeAsync(topics.ack(GW), { qos: 1 });
  edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString()) as UplinkAck));
});

afterAll(async () => {
  await edge?.endAsync();
  await stopIngest().catch(() => {});
  await broker?.close();
  await tdb?.cleanup();
});

describe(`the cloud decides a stream's batches in seq order (${engineLabel})`, () => {
  it('answers gap to a batch that overtook its predecessor, stores nothing of it, and takes it after the predecessor', async () => {
    let n = acks.length;
    await send(batch(1, { manifest }));
    expect((await ackAfter(n, 1)).status).toBe('committed');

    // the clear (seq 3) overtakes the raise (seq 2)
    n = acks.length;
    await send(batch(3, { alerts: [alert('cleared', T0 + 3000)] }));
    const gap = await ackAfter(n, 3);
    expect(gap).toMatchObject({ status: 'gap', expected: 2 });
    expect(await readingsStored()).toBe(1);
    expect(await tdb.db.query('SELECT id FROM alerts WHERE id = $1', ['o-chiller:high:1'])).toEqual([]);

    n = acks.length;
    await send(batch(2, { alerts: [alert('raised', T0 + 2000)] }));
    expect((await ackAfter(n, 2)).status).toBe('committed');
    await send(batch(3, { alerts: [alert('cleared', T0 + 3000)] }));
    expect((await ackAfter(n, 3)).status).toBe('committed');

    expect(await readingsStored()).toBe(3);
    const [a] = await tdb.db.query<{ state: string }>('SELECT state FROM alerts WHERE id = $1', ['o-chiller:high:1']);
    expect(a?.state).toBe('cleared'); // raise then clear, as the gateway saw them
  });

  it('a new stream begins at seq 1: its seq 2 waits for it; a gateway nobody registered is refused at once, not held', async () => {
    let n = acks.length;
    await send({ ...batch(2), stream: 'st-new' });
    expect(await ackAfter(n, 2)).toMatchObject({ stream: 'st-new', status: 'gap', expected: 1 });
    await send({ ...batch(1), stream: 'st-new', readings: [reading(101)] });
    expect((await ackAfter(n, 1)).status).toBe('committed');
    n = acks.length;
    await send({ ...batch(2), stream: 'st-new', readings: [reading(102)] });
    expect((await ackAfter(n, 2)).status).toBe('committed');

    const stranger = await mqtt.connectAsync(broker.url);
    const theirs: UplinkAck[] = [];
    await stranger.subscribeAsync(topics.ack('gw-nobody'), { qos: 1 });
    stranger.on('message', (_t, p) => theirs.push(JSON.parse(p.toString()) as UplinkAck));
    await stranger.publishAsync(topics.batch('gw-nobody'), JSON.stringify({ ...batch(5), gateway: 'gw-nobody' }), { qos: 1 });
    const refused = await waitFor(() => theirs.find((a) => a.seq === 5), 'the stranger answered');
    expect(refused).toMatchObject({ status: 'rejected', error: { code: 'SP_ERR_GATEWAY_UNKNOWN' } });
    await stranger.endAsync();
  });

  it('a rejected batch moves the stream on, also for a cloud instance started afterwards', async () => {
    let n = acks.length;
    // stream and seq readable, the rest not: rejected whole, kept in dead letters
    await send({ v: PROTOCOL_VERSION, gateway: GW, stream: 'st-1', seq: 4, sentAt: 'yesterday', readings: 'none' });
    expect((await ackAfter(n, 4)).status).toBe('rejected');
    await send(batch(5));
    expect((await ackAfter(n, 5)).status).toBe('committed');

    // a fresh instance knows nothing in memory: it reads the stream's last decided seq
    await stopIngest();
    await startIngest();
    n = acks.length;
    await send(batch(7));
    expect(await ackAfter(n, 7)).toMatchObject({ status: 'gap', expected: 6 });
    await send(batch(6));
    expect((await ackAfter(n, 6)).status).toBe('committed');
    await send(batch(7));
    expect((await waitFor(() => acks.slice(n).filter((a) => a.seq === 7)[1], 'second ack of seq 7')).status).toBe('committed');
    expect(await readingsStored()).toBe(8); // 6 on st-1, 2 on st-new
  });

  it('takes a batch whose predecessor never comes once it has waited past the give-up time', async () => {
    await stopIngest();
    await startIngest(300);
    const n = acks.length;
    // the give-up time runs from the batch's first arrival, which is after this instant (and may
    // be well before its first ack comes back on a loaded machine)
    const first = Date.now();
    await send(batch(10)); // 8 and 9 are lost for good (say, a database restored from an older backup)
    expect(await ackAfter(n, 10)).toMatchObject({ status: 'gap', expected: 8 });
    let ack: UplinkAck | undefined;
    while (!ack || ack.status === 'gap') {
      const m = acks.length;
      await send(batch(10));
      ack = await ackAfter(m, 10);
    }
    expect(ack.status).toBe('committed');
    expect(Date.now() - first).toBeGreaterThanOrEqual(300);
    expect(await readingsStored()).toBe(9);
  });
});
