import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import pg from 'pg';
import { stringify } from 'yaml';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { topics } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, usingPostgres, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { pace, quietFor } from '../../helpers/pause.ts';
import { freePort } from '../../../simulators/free-port.ts';
import { MOSQUITTO, gatewayProcess, startCuttableLink, startMosquitto } from '../../helpers/chaos-harness.ts';
import { ModbusScaleSim } from '../../../simulators/devices/modbus-scale.ts';
import { ScaleModel } from '../../../simulators/devices/scale-model.ts';
import { systemClock } from '../../../simulators/clock.ts';
import { createRng } from '../../../simulators/random.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// Chaos: a fleet of simulated probes publishes readings with known ground truth (QoS 1, each
// counted once the broker acknowledged it) while the run kill -9s the gateway, restarts the
// broker, restarts the cloud, drops the database connections (PostgreSQL) and cuts the uplink.
// At the end every reading is in the cloud exactly once, every alert the gateway raised is
// there, and each device's readings went up in the order they were taken. Stock movements come
// from a Modbus scale drawn down in steps through the same kills: the pieces the cloud received
// as movements add up to the pieces taken off the scale — none lost, none booked twice (a step
// made while the gateway is down is booked, once, when it is back). Attackers take part too
// (issue #11): poison frames on a probe's topic and forged batches — from a gateway nobody
// registered, and from a registered gateway of another site speaking for this site's zone and
// sensor — injected through the run; each is refused and kept, and the truth stays exact.
// `npm test` runs a short version; `npm run test:chaos` runs ≥ 100k readings.

const READINGS = Number(process.env.CHAOS_READINGS ?? 3000);
const DEVICES = 20;
const PER_DEVICE = Math.ceil(READINGS / DEVICES);
const INTERVAL_MS = Number(process.env.CHAOS_INTERVAL_MS ?? 40);
const haveMosquitto = existsSync(MOSQUITTO);
if (!haveMosquitto) console.warn(`chaos test skipped: ${MOSQUITTO} not found (apt-get install mosquitto)`);

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe.runIf(haveMosquitto)(`chaos (${engineLabel}, ${PER_DEVICE * DEVICES} readings)`, () => {
  it('loses nothing and duplicates nothing through kills, restarts and cuts', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-chaos-'));
    if (!process.env.CHAOS_KEEP) cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    else console.log(`chaos: keeping ${dir}`);
    const broker = await startMosquitto(join(dir, 'mosquitto'));
    cleanups.push(() => broker.stop());
    const link = await startCuttableLink(broker.port);
    cleanups.push(() => link.close());
    const tdb: TestDatabase = await testDatabase();
    await registerGateway(tdb.db, 'gw-chaos');
    await registerGateway(tdb.db, 'gw-elsewhere', { site: 'elsewhere' });
    cleanups.push(() => tdb.cleanup());
    const log = pino({ level: 'silent' });
    const cloudConfig = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' });
    let cloud: Cloud = await startCloud({ config: cloudConfig, log, db: tdb.db });
    cleanups.push(() => cloud.stop());

    // the scale: 500 pieces of 1 kg, drawn down in steps of 1–3 pieces through the run
    const shelf = new ScaleModel({ clock: systemClock, rng: createRng(11), initialKg: 500, capacityKg: 1000, noiseKg: 0.01, resolutionKg: 0.01 });
    const scaleSim = new ModbusScaleSim({ id: 'chaos-scale', zoneId: 'cold', host: '127.0.0.1', port: 0, unitId: 1, model: shelf });
    await scaleSim.start();
    cleanups.push(() => scaleSim.stop());

    const httpPort = await freePort();
    const configFile = join(dir, 'edge.yaml');
    writeFileSync(configFile, stringify({
      gateway: { id: 'gw-chaos', site: 'chaos' },
      deviceBroker: { url: broker.url },
      uplink: { url: link.url, flushMs: 100, batchMaxItems: 500, ackTimeoutMs: 1500 },
      storage: { dir: join(dir, 'edge') },
      http: { port: httpPort, host: '127.0.0.1' },
      zones: [{ id: 'cold', name: 'Cold room', profile: { low: 0, high: 8 }, alarm: { delaySec: 0.5, hysteresis: 0.5, doorGraceSec: 0 } }],
      devices: [
        ...Array.from({ length: DEVICES }, (_, i) => ({
          id: `probe-${i}`, protocol: 'mqtt-json', topic: `chaos/probe-${i}`, heartbeatSec: 600,
          points: [{ sensor: `t-${i}`, zone: 'cold', kind: 'temperature' }],
        })),
        {
          id: 'chaos-scale', protocol: 'modbus-scale', host: '127.0.0.1', port: scaleSim.listenPort, pollMs: 50, timeoutMs: 500, heartbeatSec: 600,
          points: [{ sensor: 'shelf-weight', zone: 'cold', kind: 'weight' }],
          weighing: { item: { sku: 'CHAOS-1KG' }, bin: 'SHELF-1', pieceWeightKg: 1, stableBandKg: 0.1, stableSamples: 4, stableMinMs: 250 },
        },
      ],
    }));
    const gwLog = join(dir, 'gateway.log');
    const gateway = gatewayProcess(configFile, gwLog);
    await gateway.start();
    cleanups.push(() => gateway.stop());

    // Observer of the uplink (persistent session on the broker, so it misses nothing across a
    // broker restart): which readings went up in which batch, to check order per device.
    const observed = new Map<string, { seq: number; stream: string; readings: { sensor: string; ts: number }[] }>();
    const observer: MqttClient = await mqtt.connectAsync(broker.url, { clientId: 'chaos-observer', clean: false, reconnectPeriod: 200 });
    cleanups.push(() => observer.endAsync());
    observer.on('message', (_t, p) => {
      try {
        const b = JSON.parse(p.toString());
        observed.set(`${b.stream}:${b.seq}`, { seq: b.seq, stream: b.stream, readings: b.readings.map((r: any) => ({ sensor: r.sensor, ts: r.ts })) });
      } catch { /* not ours to judge */ }
    });
    await observer.subscribeAsync(topics.batch('gw-chaos'), { qos: 1 });

    // the fleet: ground truth is every reading the broker acknowledged
    const sent = new Set<string>();
    let maxDepth = 0;
    const depthPoll = setInterval(async () => {
      try {
        const st = await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json() as { outboxDepth: number };
        maxDepth = Math.max(maxDepth, st.outboxDepth);
      } catch { /* gateway down right now */ }
    }, 250);
    cleanups.push(async () => clearInterval(depthPoll));
    const t0 = Date.now();
    const fleet = Array.from({ length: DEVICES }, async (_, i) => {
      const c = await mqtt.connectAsync(broker.url, { clientId: `chaos-dev-${i}`, clean: false, reconnectPeriod: 200 });
      const pending: Promise<unknown>[] = [];
      for (let n = 0; n < PER_DEVICE; n++) {
        const ts = t0 + n * INTERVAL_MS;
        // probes 0–3 spend 1.2 s of every 2 s out of band, so alerts are raised and cleared; a
        // stretch squeezed by a kill or a broker restart (its frames then arrive in a burst,
        // applied at the gateway's clock) raises nothing, so there are several, and the
        // zone's delay (0.5 s) is well inside one
        const hot = i < 4 && (n * INTERVAL_MS) % 2000 >= 600 && (n * INTERVAL_MS) % 2000 < 1800;
        const value = hot ? 12 + (n % 3) : 4 + ((n * 7 + i) % 20) / 10;
        pending.push(c.publishAsync(`chaos/probe-${i}`, JSON.stringify({ ts, temperature: value }), { qos: 1 }).then(() => sent.add(`t-${i}@${ts}`)));
        await pace(INTERVAL_MS);
      }
      await Promise.all(pending);
      await c.endAsync();
    });

    // the chaos, spread over the run
    const runMs = PER_DEVICE * INTERVAL_MS;
    // steps at least 700 ms apart (a level must settle to be booked); the last well before the end
    const steps = Array.from({ length: Math.max(4, Math.floor(runMs / 700)) }, (_, k) => 1 + (k % 3));
    let piecesTaken = 0;
    const drawDown = (async () => {
      // the gateway books its baseline first (its log says so; a fresh store, so no level is restored)
      await waitFor(() => existsSync(gwLog) && readFileSync(gwLog, 'utf8').includes('scale: baseline level booked'), 'the scale baseline booked by the gateway', 60_000, 100);
      for (const k of steps) {
        shelf.load(-k);
        piecesTaken += k;
        await pace(Math.max(700, runMs / steps.length));
      }
    })();
    const at = (frac: number) => pace(t0 + frac * runMs - Date.now());
    const events: string[] = [];
    // the attackers: a NUL frame and garbage on a real probe's topic (frames the gateway must keep
    // as dead letters, costing only themselves), and forged batches on the uplink
    const attacker: MqttClient = await mqtt.connectAsync(broker.url, { clientId: 'chaos-attacker', reconnectPeriod: 200 });
    cleanups.push(() => attacker.endAsync());
    const forged = (gateway: string, stream: string) => JSON.stringify({
      v: 1, gateway, stream, seq: 1, sentAt: Date.now(),
      manifest: { site: 'elsewhere', zones: [{ id: 'cold', name: 'taken', profile: { low: -100, high: 100 }, delaySec: 0, hysteresis: 0 }], sensors: [{ id: 't-0', zone: 'cold', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' }], devices: [] },
      readings: [{ sensor: 't-0', ts: t0 + 1, kind: 'temperature', value: 99, quality: 'good' }],
      alerts: [{ id: 'forged-1', transition: 'raised', rule: 'high', zone: 'cold', sensor: 't-0', severity: 'critical', ts: t0, since: t0, message: 'forged' }],
    });
    const attack = async () => {
      await attacker.publishAsync('chaos/probe-3', Buffer.from('\x00bad', 'latin1'), { qos: 1 });
      await attacker.publishAsync('chaos/probe-4', '{"temperature": not json', { qos: 1 });
      await attacker.publishAsync(topics.batch('evil-gw'), forged('evil-gw', 'evil-stream'), { qos: 1 });
      await attacker.publishAsync(topics.batch('gw-elsewhere'), forged('gw-elsewhere', 'elsewhere-stream'), { qos: 1 });
    };
    const mark = (what: string) => events.push(`${what} @${Date.now() - t0}ms`);
    const chaos = (async () => {
      await at(0.12); await gateway.kill9(); mark('gateway kill -9');
      await quietFor(800, 'the gateway stays down a moment'); await gateway.start();
      await at(0.3); await broker.restart(); mark('broker restart');
      await at(0.45); await cloud.stop(); cloud = await startCloud({ config: cloudConfig, log, db: tdb.db }); mark('cloud restart');
      if (usingPostgres) {
        await at(0.55);
        const admin = new pg.Client({ connectionString: tdb.url });
        await admin.connect();
        const r = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
        await admin.end();
        events.push(`database connections dropped (${r.rows[0].n})`);
      } else {
        events.push('database drop skipped: PGlite is in-process, no connection to drop');
      }
      await at(0.65); await link.cut(2000); mark('uplink cut 2 s');
      await at(0.72); await attack(); mark('poison frames + forged batches');
      await at(0.8); await gateway.kill9(); mark('gateway kill -9');
      await quietFor(500, 'the gateway stays down a moment'); await gateway.start();
    })();
    await Promise.all([...fleet, chaos, drawDown]);

    // the probes' readings (the scale reports weight readings too, with no ground truth of their own)
    const count = async () => (await tdb.db.query<{ n: number; d: number }>("SELECT count(*)::int AS n, count(DISTINCT (sensor, ts))::int AS d FROM readings WHERE sensor LIKE 't-%'"))[0]!;
    let seen = 0;
    try {
      await waitFor(async () => (seen = (await count()).d) >= sent.size, `${sent.size} readings in the cloud`, 120_000, 500);
    } catch (e) {
      const tail = readFileSync(gwLog, 'utf8').split('\n').filter((l) => !l.includes('"level":30')).slice(-15).join('\n');
      const rows = await tdb.db.query<{ k: string }>("SELECT sensor || '@' || (extract(epoch FROM ts) * 1000)::bigint AS k FROM readings WHERE sensor LIKE 't-%'");
      const have = new Set(rows.map((r) => r.k));
      const lost = [...sent].filter((k) => !have.has(k)).map((k) => `${k.split('@')[0]}+${Number(k.split('@')[1]) - t0}ms`);
      const dl = await tdb.db.query<{ code: string; reason: string }>('SELECT code, reason FROM dead_letters');
      const batchesIn = await tdb.db.query<{ seq: number; readings: number }>('SELECT seq::int AS seq, readings FROM uplink_batches ORDER BY seq');
      throw new Error(`${(e as Error).message}: ${seen} of ${sent.size} arrived; cloud dead letters ${JSON.stringify(dl)}; batches ${JSON.stringify(batchesIn)}; missing ${lost.slice(0, 20).join(', ')}; events: ${events.join('; ')}\ngateway log tail:\n${tail}`);
    }
    // movements: what the cloud received from the scale (booked or kept as an exception alike)
    const movementsOf = () => tdb.db.query<{ type: string; qty: string }>(`SELECT type, qty FROM device_movements WHERE device = 'chaos-scale'`);
    const piecesMoved = async () => (await movementsOf()).reduce((n, m) => n + (m.type === 'consumption' ? -1 : m.type === 'refill' ? 1 : 0) * Number(m.qty), 0);
    await waitFor(async () => -(await piecesMoved()) >= piecesTaken, `${piecesTaken} pieces booked as movements`, 30_000, 250).catch(() => undefined);
    // the scale keeps reporting its weight (20 readings/s): silence it so the outbox can drain to 0
    await scaleSim.stop();
    await waitFor(async () => {
      const st = await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json() as { outboxDepth: number };
      return st.outboxDepth === 0;
    }, 'gateway outbox drained', 60_000, 250);
    const finalStatus = await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json() as { uplink: { batchesSent: number; resends: number } };
    // readings folded into per-minute summaries by the outbox's byte cap (this process's run)
    const metricsText = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const thinned = Number(/^stockpulse_edge_outbox_thinned_total(?:\{[^}]*\})? (\S+)$/m.exec(metricsText)?.[1] ?? NaN);
    const { n, d } = await count();
    const rows = await tdb.db.query<{ k: string }>("SELECT sensor || '@' || (extract(epoch FROM ts) * 1000)::bigint AS k FROM readings WHERE sensor LIKE 't-%'");
    const inCloud = new Set(rows.map((r) => r.k));
    const missing = [...sent].filter((k) => !inCloud.has(k));
    const extra = [...inCloud].filter((k) => !sent.has(k));

    // alerts: every transition the gateway logged is in the cloud
    const logged = readFileSync(gwLog, 'utf8').split('\n').flatMap((l) => {
      try { const j = JSON.parse(l); return typeof j.msg === 'string' && j.msg.startsWith('alert ') && j.alert ? [{ id: j.alert as string, cleared: j.msg.startsWith('alert cleared') }] : []; } catch { return []; }
    });
    const cloudAlerts = new Map((await tdb.db.query<{ id: string; state: string }>('SELECT id, state FROM alerts')).map((a) => [a.id, a.state]));
    const alertsMissing = logged.filter((a) => !cloudAlerts.has(a.id) || (a.cleared && cloudAlerts.get(a.id) !== 'cleared'));

    // order per device across the batches the observer saw, in sequence order
    const batches = [...observed.values()].sort((a, b) => (a.stream === b.stream ? a.seq - b.seq : a.stream < b.stream ? -1 : 1));
    // A frame stored just before a kill -9 and redelivered by the broker after it (QoS 1 is
    // at-least-once) goes up twice; the cloud keeps one. It is a repeat, not a reordering.
    const lastTs = new Map<string, number>();
    const seenKeys = new Set<string>();
    let outOfOrder = 0;
    let repeatedAtEdge = 0;
    for (const b of batches) for (const r of b.readings) {
      const key = `${r.sensor}@${r.ts}`;
      if (seenKeys.has(key)) { repeatedAtEdge++; continue; }
      seenKeys.add(key);
      if ((lastTs.get(r.sensor) ?? -Infinity) >= r.ts) outOfOrder++;
      lastTs.set(r.sensor, r.ts);
    }
    const movements = (await movementsOf()).filter((m) => m.type !== 'count');
    const moved = -(await piecesMoved());
    const [{ resent }] = await tdb.db.query<{ resent: number }>('SELECT count(*)::int AS resent FROM uplink_batches') as [{ resent: number }];

    // the forged batches: kept as dead letters and alerted, nothing of them stored (the forged
    // reading of t-0 would show as `unexpected` above, the forged alert below)
    const refusedLetters = (await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE source IN ('uplink:evil-gw', 'uplink:gw-elsewhere')`))[0]!.n;
    const refusalAlerts = (await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE rule = 'gateway_refused'`))[0]!.n;
    const forgedStored = (await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE id = 'forged-1'`))[0]!.n;
    const [zoneNow] = await tdb.db.query<{ gateway: string; profile_high: number }>(`SELECT gateway, profile_high::float8 AS profile_high FROM zones WHERE id = 'cold'`);
    const table = [
      ['engine', engineLabel],
      ['readings generated (broker-acked)', sent.size],
      ['readings in cloud', n],
      ['duplicates', n - d],
      ['missing', missing.length],
      ['unexpected', extra.length],
      ['pieces taken off the scale (steps)', `${piecesTaken} (${steps.length})`],
      ['movements in cloud / pieces they move', `${movements.length} / ${moved}`],
      ['alert transitions logged by gateway', logged.length],
      ['alert transitions missing in cloud', alertsMissing.length],
      ['batches committed', resent],
      ['readings out of order per device', outOfOrder],
      ['frames redelivered to the gateway after a kill (kept once)', repeatedAtEdge],
      ['batches seen by the uplink observer', batches.length],
      ['max outbox depth', maxDepth],
      ['readings thinned (last gateway run)', thinned],
      ['last gateway run: batches sent / resends', `${finalStatus.uplink.batchesSent} / ${finalStatus.uplink.resends}`],
      ['gateway runs', gateway.runs],
      ['attacks refused (cloud dead letters / gateway_refused alerts)', `${refusedLetters} / ${refusalAlerts}`],
      ['chaos', events.join('; ')],
    ];
    console.log('\nchaos run\n' + table.map(([k, v]) => `  ${String(k).padEnd(38)} ${v}`).join('\n') + '\n');

    expect(missing.slice(0, 5)).toEqual([]);
    expect(extra.slice(0, 5)).toEqual([]);
    expect(n - d).toBe(0);
    expect(alertsMissing).toEqual([]);
    expect(logged.length).toBeGreaterThan(0);
    expect(outOfOrder).toBe(0);
    if (moved !== piecesTaken) {
      // what the gateway runs did with the scale, to tell a lost booking from a scale that stopped answering
      const scaleLines = readFileSync(gwLog, 'utf8').split('\n').filter((l) => l.includes('chaos-scale') || l.includes('gateway started')).slice(-40).join('\n');
      const st = await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json() as { devices?: Record<string, unknown> };
      console.error(`scale movements ${JSON.stringify(movements)}; steps ${JSON.stringify(steps)}; scale status ${JSON.stringify(st.devices?.['chaos-scale'] ?? st)}\ngateway log (scale):\n${scaleLines}`);
    }
    expect(moved).toBe(piecesTaken);
    expect(movements.length).toBeGreaterThan(0);
    expect(refusedLetters).toBeGreaterThanOrEqual(2);
    expect(refusalAlerts).toBeGreaterThanOrEqual(2);
    expect(forgedStored).toBe(0);
    expect(zoneNow).toMatchObject({ gateway: 'gw-chaos', profile_high: 8 });
  });
});
