import { MktAccumulator } from './mkt.ts';
import type { StorageProfile } from './profiles.ts';
import { forEachSegment, type SensorSeries } from './series.ts';
import { splitByWindows } from './defrost.ts';

// A lot's OWN exposure as one sensor of its zone saw it: only the time the lot was there
// counts. Range figures (time in range / above / below) use the profile's range; excursions use
// its alarm thresholds, strictly (> alarm_high, < alarm_low), and are clipped to the lot's stay,
// so a lot that arrives late in an excursion is charged only for the minutes it was there.
// Time inside a defrost window the profile excuses (defrost.ts), at or below its defrost
// ceiling, is defrost: counted in defrostMinutes, not as above/below or as an excursion; its
// temperatures still go into max, min and MKT (what the product went through).

export interface Excursion {
  direction: 'high' | 'low';
  from: number;
  to: number;
  minutes: number;
  max: number;
  min: number;
  threshold: number;
  /** still out at the end of the data (the lot is still there, the sensor still reads out) */
  ongoing: boolean;
}

export interface SensorExposure {
  sensor: string;
  zone: string;
  location: string;
  presenceMinutes: number;
  inRangeMinutes: number;
  aboveMinutes: number;
  belowMinutes: number;
  noDataMinutes: number;
  /** time inside the excused part of defrost periods (the profile's allowance), at or below its ceiling */
  defrostMinutes: number;
  max: number | null;
  min: number | null;
  mkt: number | null;
  excursions: Excursion[];
  /** total minutes beyond the alarm thresholds (the cumulative rule's figure) */
  outMinutes: number;
  firstOutAt: number | null;
  lastOutAt: number | null;
  firstAt: number | null;
  lastAt: number | null;
}

const MIN = 60_000;
const round2 = (n: number) => Math.round(n * 100) / 100;

export function evaluateSensor(s: SensorSeries, location: string, stays: { from: number; to: number }[], profile: StorageProfile,
  maxGapMs: number, asOf: number, defrost: readonly { from: number; to: number }[] = []): SensorExposure {
  const mkt = new MktAccumulator(profile.deltaHkJ);
  let presence = 0, observed = 0, above = 0, below = 0, out = 0, defrosting = 0;
  let max = -Infinity, min = Infinity;
  let firstOut: number | null = null, lastOut: number | null = null, firstAt: number | null = null, lastAt: number | null = null;
  const excursions: Excursion[] = [];
  let cur: Excursion | null = null;
  const close = () => { if (cur) { cur.minutes = round2((cur.to - cur.from) / MIN); excursions.push(cur); cur = null; } };
  const { tempHigh, tempLow, alarmHigh, alarmLow } = profile;

  for (const stay of stays) {
    presence += stay.to - stay.from;
    forEachSegment(s, stay.from, stay.to, maxGapMs, (segFrom, segTo, value) => splitByWindows(segFrom, segTo, defrost, (from, to, inDefrost) => {
      const d = to - from;
      observed += d;
      firstAt ??= from;
      lastAt = to;
      if (value > max) max = value;
      if (value < min) min = value;
      mkt.add(value, d);
      if (inDefrost && (profile.defrostMaxTemp === null || value <= profile.defrostMaxTemp)) {
        // excused defrost: neither out of range nor an excursion; an excursion running into it ends here
        defrosting += d;
        close();
        return;
      }
      if (tempHigh !== null && value > tempHigh) above += d;
      else if (tempLow !== null && value < tempLow) below += d;
      const dir = alarmHigh !== null && value > alarmHigh ? 'high' : alarmLow !== null && value < alarmLow ? 'low' : null;
      if (dir) {
        out += d;
        firstOut ??= from;
        lastOut = to;
        // continuous only if this piece starts where the previous out piece ended (no gap, no leaving)
        if (cur && (cur.direction !== dir || cur.to !== from)) close();
        if (!cur) cur = { direction: dir, from, to, minutes: 0, max: value, min: value, threshold: (dir === 'high' ? alarmHigh : alarmLow)!, ongoing: false };
        cur.to = to;
        cur.max = Math.max(cur.max, value);
        cur.min = Math.min(cur.min, value);
        cur.ongoing = to >= asOf;
      } else close();
    }));
  }
  close();
  const mktValue = mkt.value();
  return {
    sensor: s.sensor, zone: s.zone, location,
    presenceMinutes: round2(presence / MIN), inRangeMinutes: round2((observed - above - below - defrosting) / MIN),
    aboveMinutes: round2(above / MIN), belowMinutes: round2(below / MIN), noDataMinutes: round2((presence - observed) / MIN),
    defrostMinutes: round2(defrosting / MIN), max: Number.isFinite(max) ? max : null, min: Number.isFinite(min) ? min : null,
    mkt: mktValue === null ? null : Math.round(mktValue * 1000) / 1000,
    excursions, outMinutes: round2(out / MIN), firstOutAt: firstOut, lastOutAt: lastOut, firstAt, lastAt,
  };
}

/** what the profile's rules make of one sensor's view of a lot */
export interface Finding {
  rule: 'single_high' | 'single_low' | 'cumulative' | 'mkt';
  sensor: string;
  zone: string;
  location: string;
  from: number;
  to: number;
  ongoing: boolean;
  minutes: number;
  max: number | null;
  min: number | null;
  threshold: number | null;
  limit: number | null;
}

export function applyRules(e: SensorExposure, p: StorageProfile): Finding[] {
  if (!p.rules) return [];
  const base = { sensor: e.sensor, zone: e.zone, location: e.location };
  const out: Finding[] = [];
  if (p.singleMinutes !== null) {
    for (const x of e.excursions) {
      if (x.minutes < p.singleMinutes) continue;
      out.push({ ...base, rule: x.direction === 'high' ? 'single_high' : 'single_low', from: x.from, to: x.to, ongoing: x.ongoing,
        minutes: x.minutes, max: x.max, min: x.min, threshold: x.threshold, limit: p.singleMinutes });
    }
  }
  if (p.cumulativeMinutes !== null && e.outMinutes > p.cumulativeMinutes && e.firstOutAt !== null) {
    const outs = e.excursions;
    out.push({ ...base, rule: 'cumulative', from: e.firstOutAt, to: e.lastOutAt!, ongoing: false, minutes: e.outMinutes,
      max: outs.length ? Math.max(...outs.map((x) => x.max)) : null, min: outs.length ? Math.min(...outs.map((x) => x.min)) : null,
      threshold: p.alarmHigh ?? p.alarmLow, limit: p.cumulativeMinutes });
  }
  if (p.mktLimit !== null && e.mkt !== null && e.mkt > p.mktLimit && e.firstAt !== null) {
    out.push({ ...base, rule: 'mkt', from: e.firstAt, to: e.lastAt!, ongoing: false, minutes: round2((e.lastAt! - e.firstAt) / MIN),
      max: e.max, min: e.min, threshold: e.mkt, limit: p.mktLimit });
  }
  return out;
}
