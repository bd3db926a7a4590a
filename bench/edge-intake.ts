// The gateway alone taking device frames from Mosquitto: CPU µs per frame and frames/s.
//
//   npx tsx bench/edge-intake.ts [--per-sensor 2000] [--sensors 100] [--fsync full] [--runs 3]
//   (npm run bench -- --only edge-intake; needs no database)
//
// A COMPONENT figure, not the real path: the frames (QoS 1 `{sensor, ts, value}`, one bridge for
// --sensors topics) are published while the gateway is down, so Mosquitto holds them for its
// persistent session; then `stockpulse edge` (the bundle with its heap capped, when
// `npm run build:edge` was run) starts and takes them as fast as it can, each on disk before its
// PUBACK, with no publisher competing for the cores. Its uplink points at the same broker with no
// cloud behind it, so the figure is the device side only: MQTT parse, decode, alarm rules,
// device health, the group commit and the PUBACKs. The rate and the CPU per frame are taken over
// the steady part (from 20 % of the frames in to the last), read from the gateway's own
// readings_in counter and /proc. bench/device-path.ts has the whole path.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from '../simulators/free-port.ts';
import { publishReadings, sensorId, sensorTopic } from './lib/device-publisher.ts';
import { mosquittoVersion, startBenchBroker } from './lib/mosquitto.ts';
import { metric, startEdgeProcess } from './lib/processes.ts';
import { machine, table, writeResult } from './lib/report.ts';

const { values } = parseArgs({ options: {
  'per-sensor': { type: 'string', default: '2000' },
  sensors: { type: 'string', default: '100' },
  fsync: { type: 'string', default: 'full' },
  runs: { type: 'string', default: '3' },
} });
const PER = Number(values['per-sensor']);
const SENSORS = Number(values.sensors);
const FSYNC = values.fsync as 'full' | 'normal';
const RUNS = Number(values.runs);
if (!(PER > 0 && SENSORS > 0 && RUNS > 0) || !['full', 'normal'].includes(FSYNC)) {
  console.error('usage: edge-intake.ts [--per-sensor N>0] [--sensors N>0] [--fsync full|normal] [--runs N>0]');
  process.exit(2);
}
const total = PER * SENSORS;

// nothing capped: the whole backlog waits in the broker for the gateway's session
const broker = await startBenchBroker({ maxInflight: 1000, maxQueuedMessages: 0, maxQueuedBytes: 0 });
interface Run { frames: number; seconds: number; steadyRate: number; cpuUsPerFrame: number; edgeRssMiB?: number }
const runs: Run[] = [];
let launch = '';

async function once(n: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'sp-edge-intake-'));
  const gw = `intake-${n}`;
  const prefix = `intake/${n}`;
  const port = await freePort();
  const configFile = join(work, 'edge.yaml');
  writeFileSync(configFile, stringify({
    http: { port, host: '127.0.0.1' },
    gateway: { id: gw, site: 'bench' },
    deviceBroker: { url: broker.url, queue: { maxMessages: total * 2, maxBytes: total * 512 } },
    uplink: { url: broker.url, flushMs: 50, batchMaxItems: 5000 },
    storage: { dir: join(work, 'store'), fsync: FSYNC },
    zones: [{ id: 'z', name: 'Bench zone', profile: { low: -100, high: 100 } }],
    devices: [...Array(SENSORS).keys()].map((i) => ({
      id: `${gw}-d${i}`, protocol: 'mqtt-json', topic: sensorTopic(prefix, i), heartbeatSec: 3600,
      points: [{ sensor: `${gw}-${sensorId(i)}`, zone: 'z', kind: 'temperature', field: 'value' }],
    })),
  }));
  try {
    // first start: the persistent session and its subscriptions exist; then the backlog, gateway down
    await (await startEdgeProcess(configFile)).stop();
    await publishReadings({ url: broker.url, prefix, sensors: SENSORS, perSensor: PER, mode: 'bridge', ts0: Date.now() - 86_400_000 });
    const t0 = performance.now();
    const edge = await startEdgeProcess(configFile);
    launch = edge.launch;
    try {
      const seen: { t: number; cpu: number; n: number }[] = [];
      for (const until = Date.now() + 300_000; ;) {
        const got = await metric(`http://127.0.0.1:${port}`, 'stockpulse_edge_readings_in_total');
        seen.push({ t: performance.now() - t0, cpu: edge.cpuSeconds() ?? NaN, n: got });
        if (got >= total) break;
        if (Date.now() > until) throw new Error(`gateway took ${got} of ${total} frames in 300 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const a = seen.find((p) => p.n >= total * 0.2)!;
      const b = seen[seen.length - 1]!;
      runs.push({
        frames: total, seconds: b.t / 1000, steadyRate: (b.n - a.n) / ((b.t - a.t) / 1000),
        cpuUsPerFrame: ((b.cpu - a.cpu) * 1e6) / (b.n - a.n),
        ...(edge.peakRssMiB() ? { edgeRssMiB: edge.peakRssMiB()! } : {}),
      });
      console.error(`run ${n + 1}/${RUNS}: ${Math.round(runs.at(-1)!.steadyRate)} frames/s`);
    } finally {
      await edge.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const loadBefore = machine().loadavg;
try {
  for (let i = 0; i < RUNS; i++) await once(i);
} finally {
  await broker.close();
}

console.log(`\nedge intake — the gateway alone taking ${total.toLocaleString('en')} queued QoS 1 frames from ${mosquittoVersion() ?? broker.kind}, fsync ${FSYNC} (a component figure: no publisher, no cloud)\n`);
console.log(table(['run', 'frames', 'gateway start → all in, s', 'steady frames/s', 'CPU µs per frame', 'edge RSS MiB'],
  runs.map((r, i) => [String(i + 1), r.frames, r.seconds, r.steadyRate, r.cpuUsPerFrame, r.edgeRssMiB])));
const file = writeResult('edge-intake', {
  what: 'the gateway alone taking a backlog of QoS 1 device frames from Mosquitto (persistent session), on disk before each PUBACK; steady rate and CPU per frame from 20 % in to the last frame; a component figure (no publisher competing, no cloud)',
  broker: mosquittoVersion() ?? broker.kind, edgeLaunch: launch, fsync: FSYNC, sensors: SENSORS, perSensor: PER,
  loadavgBefore: loadBefore, loadavgAfter: machine().loadavg, runs,
});
console.log(`\nwritten to ${file}`);
process.exit(0);
