import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { openEdgeDb } from '../../../edge/outbox/db.ts';
import { Uplink } from '../../../edge/uplink/uplink.ts';
import { MemoryDeadLetters } from '../../../edge/dead-letters.ts';
import { PROTOCOL_VERSION, topics, type UplinkBatch } from '../../../protocols/uplink/contract.ts';
import { waitFor } from '../../helpers/net.ts';
import { quietFor } from '../../helpers/pause.ts';
import { alert, alertEvent, reading } from '../../helpers/outbox-entries.ts';

// An alert goes out at once (Uplink.appendUrgent): kept, and with room in the seq window cut into
// its batch in the same commit (outbox appendAndTake) and published without the batching wait,
// taking the readings kept before it along. With the window full it waits, like any entry, for
// an ack to make room — it never overtakes the window. Engine-independent: a real broker, no cloud
// (this test plays the cloud's acks).

const log = pino({ level: 'silent' });
const GW = 'gw-urgent';

let broker: EmbeddedBroker;
let dir: string;
let cloudSide: MqttClient;
const published: UplinkBatch[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  dir = mkdtempSync(join(tmpdir(), 'sp-urgent-'));
  cloudSide = await mqtt.connectAsync(broker.url, { clientId: 'urgent-cloud-side' });
  await cloudSide.subscribeAsync(topics.batch(GW), { qos: 1 });
  cloudSide.on('message', (_t, p) => published.push(JSON.parse(p.toString()) as UplinkBatch));
});

afterAll(async () => {
  await cloudSide?.endAsync();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('an alert goes out at once, within the seq window', () => {
  it('is sent with the readings before it, without the batching wait; with the window full it waits for an ack', async () => {
    const outbox = new SqliteOutbox(openEdgeDb(join(dir, 'outbox.sqlite'), 'full'));
    const client = await mqtt.connectAsync(broker.url, { clientId: `${GW}-edge` });
    // a batching wait far longer than this test: only an urgent send publishes anything
    const uplink = new Uplink({ gateway: GW, client, outbox, log, deadLetters: new MemoryDeadLetters(), flushMs: 600_000, batchMaxItems: 100, ackTimeoutMs: 600_000, window: 1 });
    await uplink.start();
    try {
      outbox.append([reading(1), reading(2)]);
      uplink.notify(false);
      uplink.appendUrgent([alert(3)]);
      const first = await waitFor(() => published.find((b) => b.seq === 1), 'the alert\'s batch published');
      expect(first.readings.map((r) => r.value)).toEqual([1, 2]);
      expect(first.alerts.map((a) => a.id)).toEqual([alertEvent(3).id]);

      // the window (1) is full: the next alert is kept, not sent
      uplink.appendUrgent([alert(4)]);
      expect(outbox.waiting()).toBe(1);
      await quietFor(200, 'nothing else is published while the window is full');
      expect(published.map((b) => b.seq)).toEqual([1]);

      // the ack of seq 1 makes room: the waiting alert goes out as seq 2
      await cloudSide.publishAsync(topics.ack(GW), JSON.stringify({ v: PROTOCOL_VERSION, gateway: GW, stream: outbox.stream, seq: 1, status: 'committed' }), { qos: 1 });
      const second = await waitFor(() => published.find((b) => b.seq === 2), 'the waiting alert published after the ack');
      expect(second.alerts.map((a) => a.id)).toEqual([alertEvent(4).id]);
      expect(second.readings).toHaveLength(0);
    } finally {
      await uplink.stop();
      await client.endAsync();
    }
  });
});
