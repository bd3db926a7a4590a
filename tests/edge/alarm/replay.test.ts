import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertEvent } from '../../../protocols/uplink/contract.ts';
import { loadEdgeConfig } from '../../../edge/config.ts';
import { replayReadings } from '../../../edge/replay/index.ts';

// `stockpulse replay` as a quality manager runs it: a CSV in, JSON alert lines out.

const run = promisify(execFile);
const ROOT = new URL('../../..', import.meta.url).pathname;
const CONFIG = join(ROOT, 'edge/examples/bakery.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sp-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2024-05-01T08:00:00Z');
const min = (m: number) => T0 + m * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** chiller-t1 every minute for 30 min: 9.2 °C from minute 5 to 14, 7.8 at 15, 7.4 at 16 */
function excursionCsv(extra: string[] = []): string {
  const rows = ['ts,sensor,value'];
  for (let m = 0; m < 30; m++) {
    const v = m >= 5 && m < 15 ? 9.2 : m === 15 ? 7.8 : m === 16 ? 7.4 : 5;
    rows.push(`${iso(min(m))},chiller-t1,${v}`);
    rows.push(`${min(m)},freezer-t1,-20.5`); // epoch ms works too
  }
  return [...rows, ...extra].join('\n') + '\n';
}

async function replay(csv: string, ...flags: string[]): Promise<{ alerts: AlertEvent[]; stderr: string; code: number }> {
  const input = join(dir, `in-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(input, csv);
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin/stockpulse.js'), 'replay', '--config', CONFIG, '--input', input, ...flags], { cwd: ROOT });
    const alerts = stdout.split('\n').filter(Boolean).map((l) => AlertEvent.parse(JSON.parse(l)));
    return { alerts, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { alerts: [], stderr: err.stderr, code: err.code };
  }
}

describe('stockpulse replay (CLI)', () => {
  it('a 10-minute excursion with delay 300 raises at +300 s and clears below high − hysteresis; bad rows are reported, not fatal', async () => {
    const { alerts, stderr, code } = await replay(excursionCsv([
      'yesterday,chiller-t1,5',
      '2024-05-01T08:30:00Z,nobody,5',
      '2024-05-01T08:30:00Z,chiller-t2,warm',
      '2024-05-01T08:30:00Z',
    ]));
    expect(code).toBe(0);
    expect(alerts).toHaveLength(2);
    const [raised, cleared] = alerts;
    expect(raised).toMatchObject({ transition: 'raised', rule: 'high', zone: 'chiller', sensor: 'chiller-t1', since: min(5), ts: min(5) + 300_000, value: 9.2 });
    // 7.8 is inside 2–8 °C but not by the 0.5 hysteresis; 7.4 is
    expect(cleared).toMatchObject({ transition: 'cleared', id: raised!.id, ts: min(16), value: 7.4 });
    expect(stderr).toContain('line 62: SP_ERR_INPUT ts: "yesterday"');
    expect(stderr).toContain('line 63: SP_ERR_INPUT sensor: unknown sensor "nobody"');
    expect(stderr).toContain('line 64: SP_ERR_INPUT value: "warm" is not a number');
    expect(stderr).toContain('line 65: SP_ERR_INPUT row');
    expect(stderr).toContain('64 rows read');
    expect(stderr).toContain('4 rejected');
    expect(stderr).toContain('1 raised, 1 cleared');
  });

  it('--delay and --hysteresis override every zone, to compare settings on the same data', async () => {
    const [longer, wider] = await Promise.all([
      replay(excursionCsv(), '--delay', '900'),
      replay(excursionCsv(), '--hysteresis', '2'),
    ]);
    expect(longer.alerts).toEqual([]);
    expect(longer.stderr).toContain('rules chiller: delay 900 s');
    // with 2 °C hysteresis 7.4 no longer clears; the 5 °C at minute 17 does
    expect(wider.alerts.map((a) => [a.transition, a.ts])).toEqual([['raised', min(10)], ['cleared', min(17)]]);
  });
});

describe('replayReadings', () => {
  async function collect(lines: string[], overrides = {}) {
    const config = await loadEdgeConfig(CONFIG, {});
    const alerts: AlertEvent[] = [];
    const rejected: number[] = [];
    const summary = await replayReadings({ config, lines, overrides, onAlert: (e) => { alerts.push(e); }, onReject: (line) => rejected.push(line) });
    return { alerts, rejected, summary };
  }

  it('the door column opens the zone door: grace, door_open after 120 s, fresh timing after the close', async () => {
    const { alerts } = await collect([
      'ts,sensor,value,door',
      `${min(0)},chiller-t1,9,open`,
      `${min(1)},chiller-t1,9.5,`,
      `${min(4)},chiller-t1,9.5,closed`,
      `${min(12)},chiller-t1,5,`,
    ]);
    expect(alerts.map((a) => [a.rule, a.transition, a.ts])).toEqual([
      ['door_open', 'raised', min(2)],
      ['door_open', 'cleared', min(4)],
      ['high', 'raised', min(9)], // 300 s from the close at minute 4
      ['high', 'cleared', min(12)],
    ]);
    expect(alerts[0]!.sensor).toBe('chiller-door'); // the zone's door sensor from the config
  });

  it('rows slightly out of order are replayed in time order; hopelessly late rows are rejected', async () => {
    const { alerts, rejected, summary } = await collect([
      'sensor,value,ts', // any column order
      `chiller-t1,9,${min(1)}`,
      `chiller-t1,9,${min(0)}`, // 1 min early: inside the 5-minute reorder window
      `chiller-t1,9,${min(20)}`,
      `chiller-t1,9,${min(30)}`,
      `chiller-t1,9,${min(2)}`, // 18 min after rows already replayed
    ]);
    expect(alerts).toMatchObject([{ rule: 'high', since: min(0), ts: min(5) }]);
    expect(rejected).toEqual([6]);
    expect(summary).toMatchObject({ rows: 5, rejected: 1, raised: 1, cleared: 0, stillActive: 1 });
  });

  it('a file without the header is refused with SP_ERR_INPUT', async () => {
    await expect(collect([`${min(0)},chiller-t1,5`])).rejects.toMatchObject({ code: 'SP_ERR_INPUT', message: expect.stringContaining('ts,sensor,value') });
  });

  it('door sensor rows accept open/closed words, battery rows are valid but used by no rule', async () => {
    const { alerts, summary } = await collect([
      'ts,sensor,value',
      `${min(0)},chiller-door,open`,
      `${min(1)},chiller-t1-battery,87`,
      `${min(3)},chiller-door,0`,
    ]);
    expect(alerts.map((a) => [a.rule, a.transition])).toEqual([['door_open', 'raised'], ['door_open', 'cleared']]);
    expect(summary).toMatchObject({ rows: 3, replayed: 2, ignored: 1, rejected: 0 });
  });
});

describe('replayReadings: defrost', () => {
  // the bakery freezer (edge/examples/bakery.yaml): defrost at 01:00, 07:00, 13:00, 19:00 UTC, max 45 min, recovery 30 min
  const day = (hhmm: string, plusMin = 0) => Date.parse(`2024-05-01T${hhmm}:00Z`) + plusMin * 60_000;
  async function collect(lines: string[]) {
    const config = await loadEdgeConfig(CONFIG, {});
    const alerts: AlertEvent[] = [];
    const summary = await replayReadings({ config, lines, onAlert: (e) => { alerts.push(AlertEvent.parse(e)); } });
    return { alerts, summary };
  }
  /** freezer-t1 every minute over [from, to) minutes after `start`, −13 °C while `warm(k)`, else −21 */
  const rows = (start: number, from: number, to: number, warm: (k: number) => boolean, defrost?: (k: number) => string) => {
    const out: string[] = [];
    for (let k = from; k < to; k++) out.push(`${start + k * 60_000},freezer-t1,${warm(k) ? -13 : -21}${defrost ? `,${defrost(k)}` : ''}`);
    return out;
  };

  it('the defrost column gives the periods: a 20-min defrost raises only its info record; one running past 45 min raises defrost_overrun', async () => {
    const t0 = day('10:00');
    const { alerts, summary } = await collect([
      'ts,sensor,value,defrost',
      ...rows(t0, 0, 90, (k) => k >= 10 && k < 30, (k) => (k === 10 ? '1' : k === 30 ? 'off' : '')),
      ...rows(t0, 90, 240, (k) => k >= 120 && k < 190, (k) => (k === 120 ? 'on' : k === 185 ? '0' : '')),
    ]);
    expect(alerts.map((a) => [a.rule, a.transition, a.severity, (a.ts - t0) / 60_000])).toEqual([
      ['defrost', 'raised', 'info', 10],
      ['defrost', 'cleared', 'info', 60],      // off at 30 + 30 min recovery
      ['defrost', 'raised', 'info', 120],
      ['defrost_overrun', 'raised', 'critical', 165], // 45 min after the start, still on
      ['defrost_overrun', 'cleared', 'critical', 190], // off at 185, back to −21 °C at 190
      ['defrost', 'cleared', 'info', 195],     // the hold is bounded: 45 + 30 min
    ]);
    expect(summary).toMatchObject({ rejected: 0, stillActive: 0 });
  });

  it('with the defrost column, a scheduled defrost with no signal raises missed_defrost 15 min after its time', async () => {
    const t0 = day('12:30');
    const { alerts } = await collect(['ts,sensor,value,defrost', ...rows(t0, 0, 60, () => false, () => '')]);
    expect(alerts.map((a) => [a.rule, a.transition, a.severity, a.ts])).toEqual([['missed_defrost', 'raised', 'warning', day('13:15')]]);
  });

  it('without the column the schedule is the input: a defrost on time raises only its record, a bad defrost value is rejected', async () => {
    const t0 = day('06:50');
    const { alerts, summary } = await collect(['ts,sensor,value', ...rows(t0, 0, 120, (k) => k >= 12 && k < 32)]);
    expect(alerts.map((a) => [a.rule, a.transition, a.ts])).toEqual([['defrost', 'raised', day('07:00')], ['defrost', 'cleared', day('08:15')]]);
    expect(summary.rejected).toBe(0);
    const bad = await replayReadings({ config: await loadEdgeConfig(CONFIG, {}), lines: ['ts,sensor,value,defrost', `${t0},freezer-t1,-21,maybe`], onAlert: () => {} , onReject: (line, err) => { expect(line).toBe(2); expect(err.details[0]).toMatchObject({ field: 'defrost' }); } });
    expect(bad.rejected).toBe(1);
  });
});
