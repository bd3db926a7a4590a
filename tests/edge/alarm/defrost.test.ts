import { describe, expect, it } from 'vitest';
import { AlertEvent } from '../../../protocols/uplink/contract.ts';
import { ZoneConfig } from '../../../edge/config.schema.ts';
import { ZoneAlarmMachine } from '../../../edge/alarm/index.ts';
import { nextScheduledStart, tzOffsetMs } from '../../../edge/alarm/defrost-schedule.ts';
import { scheduleMinutes } from '../../../edge/alarm/cold-chain.schema.ts';

// Defrost as a freezer's monitor must know it, on event time only: high alarms held during a
// defrost and its recovery, an overrun or a missed defrost raised on their own.

const MIN = 60_000;
const DAY = Date.parse('2026-03-10T00:00:00Z');
const at = (hhmm: string, plusMin = 0) => DAY + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)) + plusMin) * MIN;

function freezer(defrost: Record<string, unknown>, alarm: Record<string, unknown> = {}): ZoneConfig {
  return ZoneConfig.parse({
    id: 'freezer', name: 'Freezer', profile: { high: -18 },
    alarm: { delaySec: 600, hysteresis: 1, doorGraceSec: 180, ...alarm },
    defrost: { maxDurationMin: 45, recoveryMin: 30, ...defrost },
  });
}

function valid(events: AlertEvent[]): AlertEvent[] {
  for (const e of events) AlertEvent.parse(e);
  return events;
}

/** feeds one reading a minute from `from` to `to` (minutes after `start`), value by minute */
function feed(m: ZoneAlarmMachine, start: number, from: number, to: number, value: (min: number) => number, sensor = 'freezer-t1'): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (let k = from; k <= to; k++) out.push(...m.temperature(sensor, start + k * MIN, value(k)));
  return valid(out);
}

/** a classic electric defrost on the air: −21 → −13 in 20 min, back to −21 over the next 20 */
const defrostCurve = (k: number) => (k < 0 ? -21 : k < 20 ? -21 + 8 * Math.min(1, k / 5) : k < 40 ? -13 - 8 * Math.min(1, (k - 20) / 15) : -21);

describe('defrost schedule (pure)', () => {
  it('turns times of day into instants, in the schedule\'s time zone, across midnight', () => {
    const mins = scheduleMinutes({ at: ['20:00', '02:00', '08:00', '14:00'] });
    expect(mins).toEqual([120, 480, 840, 1200]);
    expect(nextScheduledStart(mins, 'UTC', at('03:00'))).toBe(at('08:00'));
    expect(nextScheduledStart(mins, 'UTC', at('08:00'))).toBe(at('08:00'));
    expect(nextScheduledStart(mins, 'UTC', at('21:00'))).toBe(at('02:00', 24 * 60));
    // Berlin is UTC+1 on 10 March: 08:00 local is 07:00 UTC
    expect(tzOffsetMs('Europe/Berlin', at('12:00'))).toBe(60 * MIN);
    expect(nextScheduledStart(mins, 'Europe/Berlin', at('03:00'))).toBe(at('07:00'));
    // after the spring change (29 March 2026) it is UTC+2
    const late = Date.parse('2026-04-01T03:00:00Z');
    expect(nextScheduledStart(mins, 'Europe/Berlin', late)).toBe(Date.parse('2026-04-01T06:00:00Z'));
  });

  it('everyMin repeats from firstAt until midnight; fractional minutes work (a demo\'s compressed time)', () => {
    expect(scheduleMinutes({ everyMin: 360, firstAt: '02:00' })).toEqual([120, 480, 840, 1200]);
    expect(scheduleMinutes({ everyMin: 0.5 }).slice(0, 3)).toEqual([0, 0.5, 1]);
  });
});

describe('defrost from the schedule (no defrost input)', () => {
  it('a scheduled defrost raises no high alarm, only the info record of the hold', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00'] }));
    const start = at('02:00');
    const events = feed(m, start, -30, 120, defrostCurve);
    expect(events.map((e) => [e.rule, e.transition, e.severity])).toEqual([
      ['defrost', 'raised', 'info'],
      ['defrost', 'cleared', 'info'],
    ]);
    const [raised, cleared] = events;
    expect(raised).toMatchObject({ ts: start, since: start, zone: 'freezer' });
    // held for maxDuration (45 min) + recovery (30 min): the cloud's record of the defrost period
    expect(cleared).toMatchObject({ id: raised!.id, ts: start + 75 * MIN, since: start });
    expect(m.activeAlerts()).toEqual([]);
  });

  it('the same curve without defrost configured raises the false critical alarm the demo used to cry', () => {
    const m = new ZoneAlarmMachine(ZoneConfig.parse({ id: 'freezer', name: 'Freezer', profile: { high: -18 }, alarm: { delaySec: 600, hysteresis: 1 } }));
    const events = feed(m, at('02:00'), -30, 120, defrostCurve);
    expect(events.map((e) => [e.rule, e.transition, e.severity])).toEqual([['high', 'raised', 'critical'], ['high', 'cleared', 'critical']]);
  });

  it('a zone still high when the recovery time ends raises defrost_overrun (critical), and the high alarm gets its full delay from then', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00'] }));
    const start = at('02:00');
    // the compressor never comes back: stuck at −12 °C
    const events = feed(m, start, -5, 120, (k) => (k < 0 ? -21 : -12));
    expect(events.map((e) => [e.rule, e.transition])).toEqual([
      ['defrost', 'raised'], ['defrost', 'cleared'], ['defrost_overrun', 'raised'], ['high', 'raised'],
    ]);
    const overrun = events[2]!;
    expect(overrun).toMatchObject({ severity: 'critical', ts: start + 75 * MIN, since: start, value: -12 });
    expect(overrun.message).toBe('Freezer: not recovered 30 min after defrost (-12 °C)');
    expect(events[3]).toMatchObject({ ts: start + 75 * MIN + 10 * MIN, since: start + 75 * MIN });
    // recovered: overrun and high clear
    const back = valid(m.temperature('freezer-t1', start + 130 * MIN, -20));
    expect(back.map((e) => [e.rule, e.transition])).toEqual([['high', 'cleared'], ['defrost_overrun', 'cleared']]);
  });

  it('a scheduled defrost whose air never rose raises missed_defrost (warning); the next real one clears it', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00', '08:00'], minRiseC: 3 }));
    const events = feed(m, at('02:00'), -10, 100, () => -21);
    const missed = events.find((e) => e.rule === 'missed_defrost')!;
    expect(missed).toMatchObject({ transition: 'raised', severity: 'warning', ts: at('02:00', 45), since: at('02:00'), threshold: 3 });
    const later = feed(m, at('08:00'), -10, 100, defrostCurve);
    expect(later.filter((e) => e.rule === 'missed_defrost')).toMatchObject([{ transition: 'cleared', id: missed.id, ts: at('08:00', 45) }]);
    expect(later.some((e) => e.rule === 'high')).toBe(false);
  });

  it('held high time is not counted by the cumulative rule', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00'] }, { cumulative: { windowSec: 86_400, limitSec: 600 } }));
    const events = feed(m, at('02:00'), -10, 120, defrostCurve);
    expect(events.some((e) => e.rule === 'cumulative')).toBe(false);
  });
});

describe('defrost from the controller (defrost input)', () => {
  const input = (m: ZoneAlarmMachine, ts: number, on: boolean) => valid(m.reading({ sensor: 'freezer-defrost', kind: 'defrost', ts, value: on ? 1 : 0, quality: 'good' }));

  it('holds high alarms from the signal on until the recovery time after it ends', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00'] }), { defrostInput: true });
    const start = at('02:03');
    feed(m, start, -10, -1, defrostCurve);
    const on = input(m, start, true);
    expect(on).toMatchObject([{ rule: 'defrost', transition: 'raised', severity: 'info', ts: start }]);
    const during = feed(m, start, 0, 19, defrostCurve);
    const off = input(m, start + 20 * MIN, false);
    const after = feed(m, start, 20, 120, defrostCurve);
    const all = [...during, ...off, ...after];
    // the hold ends 30 min after the signal went off: no high, no overrun, nothing missed
    expect(all.map((e) => [e.rule, e.transition, e.ts])).toEqual([['defrost', 'cleared', start + 50 * MIN]]);
    expect(all[0]!.value).toBe(20 * 60); // the defrost itself lasted 20 min
  });

  it('a defrost signal on past maxDuration raises defrost_overrun at start + max', () => {
    const m = new ZoneAlarmMachine(freezer({ maxDurationMin: 30, recoveryMin: 10 }), { defrostInput: true });
    const start = at('10:00');
    input(m, start, true);
    const events = feed(m, start, 0, 60, () => -14);
    const overrun = events.find((e) => e.rule === 'defrost_overrun')!;
    expect(overrun).toMatchObject({ transition: 'raised', severity: 'critical', ts: start + 30 * MIN, since: start });
    expect(overrun.message).toBe('Freezer: defrost still running after 30 min (maximum 30 min)');
    // the hold is bounded (30 + 10 min): the high alarm is not hidden for ever
    const high = events.find((e) => e.rule === 'high')!;
    expect(high).toMatchObject({ transition: 'raised', since: start + 40 * MIN, ts: start + 50 * MIN });
    input(m, start + 61 * MIN, false);
    const back = valid(m.temperature('freezer-t1', start + 62 * MIN, -21));
    expect(back.map((e) => e.rule).sort()).toEqual(['defrost_overrun', 'high']);
    expect(back.every((e) => e.transition === 'cleared')).toBe(true);
  });

  it('no defrost signal within the window around a scheduled start raises missed_defrost; the next signal clears it', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00'], windowMin: 15 }), { defrostInput: true });
    const events = feed(m, at('02:00'), -30, 20, () => -21);
    expect(events).toMatchObject([{ rule: 'missed_defrost', transition: 'raised', severity: 'warning', ts: at('02:15'), since: at('02:00') }]);
    const on = input(m, at('02:30'), true);
    expect(on.map((e) => [e.rule, e.transition])).toEqual([['defrost', 'raised'], ['missed_defrost', 'cleared']]);
  });

  it('a defrost signal a few minutes early counts for the scheduled start', () => {
    const m = new ZoneAlarmMachine(freezer({ at: ['02:00'], windowMin: 15 }), { defrostInput: true });
    feed(m, at('01:40'), 0, 10, () => -21);
    input(m, at('01:52'), true);
    const events = [...feed(m, at('01:52'), 1, 20, () => -15), ...input(m, at('02:12'), false), ...feed(m, at('02:12'), 1, 60, () => -21)];
    expect(events.map((e) => e.rule)).toEqual(['defrost']);
  });

  it('a zone without defrost configured ignores defrost readings', () => {
    const m = new ZoneAlarmMachine(ZoneConfig.parse({ id: 'freezer', name: 'Freezer', profile: { high: -18 } }));
    expect(input(m, at('02:00'), true)).toEqual([]);
  });
});
