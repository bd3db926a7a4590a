// Bundled by tests/edge/bundle/packet-id-cache.test.ts with the edge's bundler and run as its own
// process: a device publishes QoS 1 through the embedded broker to the gateway's broker client
// (packet ids written by mqtt.js, by aedes and in the client's PUBACK), then it says how many
// Buffers mqtt-packet's packet-id cache holds.
import mqtt from 'mqtt';
import type { Logger } from 'pino';
// @ts-expect-error mqtt-packet's numbers module has no types of its own
import numbers from 'mqtt-packet/numbers.js';
import { connectBroker } from '../../../edge/broker-client.ts';
import { startEmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';

// pino is outside the bundle, which runs from a temporary directory: a logger that drops all
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child() { return silent; } } as unknown as Logger;
const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
// a device that connects first, with mqtt.js's defaults (its write cache on)
const device = await mqtt.connectAsync(broker.url, { clientId: 'probe-device' });
const gateway = await connectBroker({ url: broker.url } as Parameters<typeof connectBroker>[0], 'probe-gateway', silent);
const got = new Promise<string>((resolve) => gateway.on('message', (_t, p) => resolve(p.toString())));
await gateway.subscribeAsync('probe/#', { qos: 1 });
await device.publishAsync('probe/t', '{"value":1}', { qos: 1 });
const payload = await got;
const cached = Object.keys((numbers as { cache: Record<number, Buffer> }).cache).length;
await device.endAsync();
await gateway.endAsync();
await broker.close();
process.stdout.write(JSON.stringify({ payload, cached }) + '\n');
