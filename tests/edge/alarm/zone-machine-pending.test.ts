import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZoneConfig } from '../../../edge/config.schema.ts';
import { ZoneAlarmMachine } from '../../../edge/alarm/index.ts';

// The zone machine looks for its next due time only among the sensors a reading touched since
// the last full look (zone-machine.ts `pending`); every other change makes it look at all of
// them again. That must never change what is raised or cleared, or when: random streams of
// temperature, door and defrost readings and ticks go to it and to the plain form that scans
// every sensor after each event, and both must give the same events and the same next due time
// after every step.

const MIN = 60_000;

const zones = {
  delays: ZoneConfig.parse({
    id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 },
    alarm: { delaySec: 300, hysteresis: 0.5, doorGraceSec: 120, warning: { low: 3, high: 7, delaySec: 120 } },
  }),
  cumulative: ZoneConfig.parse({
    id: 'cold', name: 'Cold room', profile: { low: 0, high: 5 },
    alarm: { delaySec: 900, hysteresis: 0, doorGraceSec: 60, cumulative: { windowSec: 3600, limitSec: 600 } },
  }),
  defrost: ZoneConfig.parse({
    id: 'freezer', name: 'Freezer', profile: { high: -18 },
    alarm: { delaySec: 600, hysteresis: 1, doorGraceSec: 180 },
    defrost: { maxDurationMin: 45, recoveryMin: 30 },
  }),
  // every rule at once, defrost from its schedule (no input): the paths that change many sensors
  everything: ZoneConfig.parse({
    id: 'all', name: 'All rules', profile: { low: -25, high: -15 },
    alarm: { delaySec: 600, hysteresis: 1, doorGraceSec: 120, warning: { high: -17, delaySec: 300 }, cumulative: { windowSec: 3600, limitSec: 900 } },
    defrost: { at: ['06:20', '07:00', '08:30'], maxDurationMin: 30, recoveryMin: 20 },
  }),
};
/** zones whose defrost periods come from a defrost output's readings */
const withInput = new Set(['freezer']);

type Step =
  // dtSec may be negative: a reading older than the last (a late frame) is part of the stream
  | { t: 'temp'; sensor: number; dtSec: number; value: number }
  | { t: 'door'; source: number; dtSec: number; open: boolean }
  | { t: 'defrost'; dtSec: number; on: boolean }
  | { t: 'tick'; dtSec: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('temp' as const), sensor: fc.integer({ min: 0, max: 11 }), dtSec: fc.integer({ min: -120, max: 400 }), value: fc.integer({ min: -300, max: 150 }).map((v) => v / 10) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('door' as const), source: fc.integer({ min: 0, max: 1 }), dtSec: fc.integer({ min: 0, max: 300 }), open: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('defrost' as const), dtSec: fc.integer({ min: 0, max: 900 }), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), dtSec: fc.integer({ min: 0, max: 1200 }) }) },
);

function run(zone: ZoneConfig, steps: Step[], scanEverySensor: boolean): unknown[] {
  let n = 0;
  // the same alert ids on both sides: counted, not random
  const m = new ZoneAlarmMachine(zone, { scanEverySensor, defrostInput: withInput.has(zone.id), idFactory: () => `a${n++}` });
  const trace: unknown[] = [];
  let now = Date.parse('2026-03-10T06:00:00Z');
  for (const s of steps) {
    now += s.dtSec * 1000;
    const events = s.t === 'temp' ? m.temperature(`${zone.id}-t${s.sensor}`, now, s.value)
      : s.t === 'door' ? m.doorReading(`door${s.source}`, now, s.open)
        : s.t === 'defrost' ? m.defrostReading('defrost-out', now, s.on)
          : m.tick(now);
    trace.push(events, m.nextDue());
  }
  trace.push(m.activeAlerts(), m.heldIntervals());
  return trace;
}

describe('zone machine: the next due time from the touched sensors only', () => {
  for (const [name, zone] of Object.entries(zones)) {
    it(`gives the same events and due times as scanning every sensor (${name})`, () => {
      let raised = 0;
      fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const fast = run(zone, steps, false);
        expect(fast).toEqual(run(zone, steps, true));
        raised += fast.flat().filter((e) => (e as { transition?: string })?.transition === 'raised').length;
      }), { numRuns: 300 });
      // the streams must reach the rules, or the comparison proves nothing
      expect(raised).toBeGreaterThan(50);
    });
  }

  it('a zone of 100 probes in band keeps nothing pending between readings', () => {
    const m = new ZoneAlarmMachine(zones.delays);
    let t = Date.parse('2026-03-10T06:00:00Z');
    for (let i = 0; i < 1000; i++) m.temperature(`chiller-t${i % 100}`, (t += 1000), 5);
    expect(m.nextDue()).toBeUndefined();
    // one probe out of band: its own delay is what is due
    const out = (t += 1000);
    m.temperature('chiller-t42', out, 9);
    expect(m.nextDue()).toBe(out + 2 * MIN); // the warning level's 2-minute delay
    for (let i = 0; i < 100; i++) if (i !== 42) m.temperature(`chiller-t${i}`, (t += 10), 5);
    expect(m.nextDue()).toBe(out + 2 * MIN);
    expect(m.tick(out + 3 * MIN).map((e) => e.rule)).toEqual(['high_warning']);
    expect(m.nextDue()).toBe(out + 5 * MIN);
    expect(m.tick(out + 5 * MIN).map((e) => e.rule)).toEqual(['high']);
  });
});
