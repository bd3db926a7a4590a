import { describe, expect, it } from 'vitest';
import { AlertEvent } from '../../../protocols/uplink/contract.ts';
import { ZoneConfig, type AlarmRules } from '../../../edge/config.schema.ts';
import { ZoneAlarmMachine } from '../../../edge/alarm/index.ts';

// The excursion rules a quality manager relies on, on event time only (seconds → ms via s()).

const s = (sec: number) => sec * 1000;

function chiller(alarm: Partial<AlarmRules> = {}): ZoneConfig {
  return ZoneConfig.parse({
    id: 'chiller',
    name: 'Chiller',
    profile: { low: 2, high: 8 },
    alarm: { delaySec: 300, hysteresis: 0.5, doorGraceSec: 120, ...alarm },
  });
}

/** every event must also satisfy the uplink contract */
function valid(events: AlertEvent[]): AlertEvent[] {
  for (const e of events) AlertEvent.parse(e);
  return events;
}

describe('alarm delay', () => {
  it('stays silent just under the delay and raises at exactly since + delay', () => {
    const m = new ZoneAlarmMachine(chiller());
    expect(m.temperature('chiller-t1', s(1000), 9.4)).toEqual([]);
    expect(m.tick(s(1000) + s(300) - 1)).toEqual([]);
    const raised = valid(m.tick(s(1000 + 300)));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      transition: 'raised', rule: 'high', zone: 'chiller', sensor: 'chiller-t1', severity: 'critical',
      ts: s(1300), since: s(1000), value: 9.4, threshold: 8,
    });
    expect(raised[0]!.message).toBe('Chiller: chiller-t1 at 9.4 °C ≥ 8 °C for 5 min');
    // no second raise while the excursion goes on
    expect(m.temperature('chiller-t1', s(1400), 9.9)).toEqual([]);
    expect(m.tick(s(5000))).toEqual([]);
  });

  it('raises at the exact due time when the next event is a later reading', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.temperature('chiller-t1', 0, 9.4);
    const events = valid(m.temperature('chiller-t1', s(420), 9.6));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ transition: 'raised', ts: s(300), since: 0, value: 9.4 });
  });

  it('a reading back in band before the delay resets the timer', () => {
    const m = new ZoneAlarmMachine(chiller());
    for (let t = 0; t <= 240; t += 60) expect(m.temperature('chiller-t1', s(t), 9)).toEqual([]);
    expect(m.temperature('chiller-t1', s(299), 7.9)).toEqual([]);
    expect(m.tick(s(10_000))).toEqual([]);
    // a new excursion times from its own start
    m.temperature('chiller-t1', s(10_100), 8.5);
    expect(m.tick(s(10_399))).toEqual([]);
    expect(m.tick(s(10_400))).toMatchObject([{ transition: 'raised', since: s(10_100), ts: s(10_400) }]);
  });

  it('the threshold is inclusive: exactly high (or low) is out of band', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.temperature('at-high', 0, 8);
    m.temperature('just-inside', 0, 7.99);
    m.temperature('at-low', 0, 2);
    const events = valid(m.tick(s(300)));
    expect(events.map((e) => [e.sensor, e.rule])).toEqual([['at-high', 'high'], ['at-low', 'low']]);
  });

  it('each sensor of the zone is timed on its own', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.temperature('chiller-t1', 0, 9);
    m.temperature('chiller-t2', s(100), 9);
    expect(m.tick(s(300))).toMatchObject([{ sensor: 'chiller-t1', ts: s(300) }]);
    expect(m.tick(s(400))).toMatchObject([{ sensor: 'chiller-t2', ts: s(400) }]);
  });
});

describe('hysteresis and the low side', () => {
  it('does not clear inside the hysteresis band, clears at high − hysteresis with the same id', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.temperature('chiller-t1', 0, 9);
    const [raised] = m.tick(s(300));
    expect(m.temperature('chiller-t1', s(400), 7.9)).toEqual([]); // inside the band, not by 0.5
    expect(m.temperature('chiller-t1', s(460), 7.51)).toEqual([]);
    expect(m.temperature('chiller-t1', s(470), 8.3)).toEqual([]); // back out: still the same alert
    const cleared = valid(m.temperature('chiller-t1', s(520), 7.5));
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ transition: 'cleared', rule: 'high', id: raised!.id, since: 0, ts: s(520), value: 7.5 });
    expect(cleared[0]!.message).toContain('back to 7.5 °C');
    expect(m.activeAlerts()).toEqual([]);
  });

  it('raises the low rule and clears it at low + hysteresis', () => {
    const m = new ZoneAlarmMachine(chiller({ hysteresis: 1 }));
    m.temperature('chiller-t1', 0, 1.5);
    const [raised] = valid(m.tick(s(300)));
    expect(raised).toMatchObject({ rule: 'low', threshold: 2, severity: 'critical' });
    expect(raised!.message).toBe('Chiller: chiller-t1 at 1.5 °C ≤ 2 °C for 5 min');
    expect(m.temperature('chiller-t1', s(360), 2.9)).toEqual([]);
    expect(m.temperature('chiller-t1', s(420), 3)).toMatchObject([{ transition: 'cleared', rule: 'low', id: raised!.id }]);
  });
});

describe('door-open grace', () => {
  it('an excursion with the door open inside the grace starts no timer; timing restarts at the close', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.doorReading('chiller-door', 0, true);
    m.temperature('chiller-t1', s(10), 9.5);
    m.temperature('chiller-t1', s(70), 9.8);
    expect(m.doorReading('chiller-door', s(100), false)).toEqual([]); // closed within the 120 s grace
    expect(m.tick(s(310))).toEqual([]); // would have raised at 310 s without the door rule
    expect(m.tick(s(399))).toEqual([]);
    expect(m.tick(s(400))).toMatchObject([{ rule: 'high', since: s(100), ts: s(400), value: 9.8 }]);
  });

  it('a door open past the grace raises door_open (warning) and excursion timing resumes', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.doorReading('chiller-door', 0, true);
    m.temperature('chiller-t1', s(10), 9.5);
    expect(m.tick(s(119))).toEqual([]);
    const [door] = valid(m.tick(s(120)));
    expect(door).toMatchObject({ transition: 'raised', rule: 'door_open', severity: 'warning', sensor: 'chiller-door', ts: s(120), since: 0 });
    expect(door!.message).toBe('Chiller: door open for over 2 min (chiller-door)');
    // the 300 s delay counts from the end of the grace
    expect(m.tick(s(419))).toEqual([]);
    expect(m.tick(s(420))).toMatchObject([{ rule: 'high', ts: s(420) }]);
    const closed = valid(m.doorReading('chiller-door', s(500), false));
    expect(closed).toMatchObject([{ transition: 'cleared', rule: 'door_open', id: door!.id, ts: s(500), value: 500 }]);
  });

  it('pauses a timer that was already running and resumes it after the grace', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.temperature('chiller-t1', 0, 9);
    m.doorReading('chiller-door', s(200), true); // 200 s counted so far
    expect(m.tick(s(319))).toEqual([]);
    expect(m.tick(s(320)).map((e) => e.rule)).toEqual(['door_open']);
    expect(m.tick(s(419))).toEqual([]);
    expect(m.tick(s(420))).toMatchObject([{ rule: 'high', ts: s(420), since: 0 }]);
  });

  it('the door state is read from 1/0 door readings', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.reading({ sensor: 'chiller-door', kind: 'door', ts: 0, value: 1, quality: 'good' });
    expect(m.reading({ sensor: 'x', kind: 'battery', ts: s(500), value: 3, quality: 'good' })).toEqual([]);
    expect(m.tick(s(120)).map((e) => e.rule)).toEqual(['door_open']);
    expect(m.reading({ sensor: 'chiller-door', kind: 'door', ts: s(130), value: 0, quality: 'good' })).toMatchObject([{ transition: 'cleared' }]);
  });
});

describe('cumulative exposure', () => {
  const rules = { delaySec: 300, cumulative: { windowSec: 3600, limitSec: 600 } };

  /** a 4-minute excursion every 10 minutes: never completes the 5-minute delay */
  function shortExcursions(m: ZoneAlarmMachine, count: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (let i = 0; i < count; i++) {
      events.push(...m.temperature('chiller-t1', s(i * 600), 9));
      events.push(...m.temperature('chiller-t1', s(i * 600 + 240), 6));
    }
    return events;
  }

  it('short excursions add up to a raise at the instant the limit is reached, and clear as the window slides', () => {
    const m = new ZoneAlarmMachine(chiller(rules));
    const events = valid(shortExcursions(m, 3));
    // 240 + 240 + 120 s = 600 s, reached 120 s into the third excursion (at 1320 s)
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ transition: 'raised', rule: 'cumulative', severity: 'critical', ts: s(1320), since: 0, value: 600, threshold: 600 });
    expect(events[0]!.message).toBe('Chiller: chiller-t1 out of 2–8 °C for 10 min in the last 1 h (limit 10 min)');
    // 720 s in the window until the first excursion [0, 240) starts sliding out at 3600 s;
    // the total is below 600 s once more than 120 s of it has left
    expect(m.tick(s(3720))).toEqual([]);
    const cleared = valid(m.tick(s(4000)));
    expect(cleared).toMatchObject([{ transition: 'cleared', rule: 'cumulative', id: events[0]!.id, ts: s(3720) + 1 }]);
  });

  it('raises on a tick while the sensor stays out (held state between readings)', () => {
    const m = new ZoneAlarmMachine(chiller({ delaySec: 3600, cumulative: { windowSec: 3600, limitSec: 600 } }));
    m.temperature('chiller-t1', 0, 9);
    expect(m.tick(s(599))).toEqual([]);
    expect(m.tick(s(700))).toMatchObject([{ rule: 'cumulative', ts: s(600) }]);
  });

  it('memory stays bounded: old excursions are pruned from the window', () => {
    const m = new ZoneAlarmMachine(chiller(rules));
    shortExcursions(m, 2000); // ~14 days of readings
    // one hour holds at most 6 of these excursions
    expect(m.heldIntervals()).toBeLessThanOrEqual(7);
  });
});
