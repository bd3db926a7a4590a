import { z } from 'zod';
import { isTimeZone } from '../../protocols/time-zone.ts';

// The cold-chain parts of a zone's config that dedicated monitors offer beyond one threshold:
// a warning level inside the band (each level with its own delay), defrost (schedule and/or
// a controller's defrost output), and a simulated product temperature. Checks that need the
// zone's profile too are in coldChainIssues (listed with every other config mistake).

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

/** "02:00" → 120, "00:02:30" → 2.5 (minutes after midnight); the regex has checked the shape */
export function minutesOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)) + (hhmm.length > 5 ? Number(hhmm.slice(6, 8)) / 60 : 0);
}

/**
 * The early level: a warning (high / low) inside the profile's band, with its own delay. The
 * profile's limits stay the critical level (rules `high` / `low`, alarm.delaySec), so a config
 * written before levels existed behaves exactly as before.
 */
export const WarningLevel = z.object({
  /** warning at or above this (°C); must be below profile.high */
  high: z.number().finite().optional(),
  /** warning at or below this (°C); must be above profile.low */
  low: z.number().finite().optional(),
  /** how long the value must stay beyond the warning limit (seconds); default: alarm.delaySec */
  delaySec: z.number().nonnegative().optional(),
}).strict().refine((w) => w.high !== undefined || w.low !== undefined, { message: 'give high and/or low' });
export type WarningLevel = z.infer<typeof WarningLevel>;

const TimeOfDay = z.string().regex(TIME_OF_DAY, 'a time of day "HH:MM" or "HH:MM:SS" (24 h)');

/**
 * Defrost of a zone. Periods come from the controller's defrost output (a point of kind
 * `defrost` in the zone) when there is one, else from the schedule (each defrost assumed to
 * last maxDurationMin). High alarms are held from a defrost's start until its end (at most
 * maxDurationMin) plus recoveryMin. See docs/cold-chain-rules.md.
 */
export const DefrostConfig = z.object({
  /** scheduled starts as times of day, e.g. ["02:00", "08:00", "14:00", "20:00"] */
  at: z.array(TimeOfDay).optional(),
  /** or: a defrost every this many minutes from `firstAt` until midnight (each day) */
  everyMin: z.number().positive().max(1440).optional(),
  firstAt: TimeOfDay.optional(),
  /** IANA time zone of the schedule's times (default UTC) */
  timeZone: z.string().default('UTC').refine(isTimeZone, { message: 'an IANA time zone such as "Europe/Berlin" or "UTC"' }),
  /** a defrost still running after this long raises defrost_overrun (minutes) */
  maxDurationMin: z.number().positive(),
  /** after a defrost ends the zone has this long to come back below its high limit (minutes) */
  recoveryMin: z.number().nonnegative(),
  /** with a defrost input: a scheduled defrost with no defrost signal within ± this is missed (minutes) */
  windowMin: z.number().positive().default(15),
  /** without a defrost input: a scheduled defrost whose air rose less than this is missed (°C) */
  minRiseC: z.number().positive().default(2),
}).strict();
export type DefrostConfig = z.infer<typeof DefrostConfig>;

/** The software glycol bottle: T_p follows the air with a first-order lag of tauMin. */
export const ProductConfig = z.object({
  /** time constant of the simulated product (minutes); ~10–60 for a probe in a glycol bottle */
  tauMin: z.number().positive(),
}).strict();
export type ProductConfig = z.infer<typeof ProductConfig>;

/** The schedule's starts as sorted, distinct minutes of the day (empty: no schedule). */
export function scheduleMinutes(d: Pick<DefrostConfig, 'at' | 'everyMin' | 'firstAt'>): number[] {
  const set = new Set<number>((d.at ?? []).map(minutesOfDay));
  if (d.everyMin !== undefined) {
    for (let m = d.firstAt ? minutesOfDay(d.firstAt) : 0; m < 1440; m += d.everyMin) set.add(Math.round(m * 1000) / 1000);
  }
  return [...set].sort((a, b) => a - b);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});

/** Checks across a zone's profile, levels, defrost and points; tolerant of partly invalid input. */
export function coldChainIssues(raw: unknown): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const cfg = obj(raw);
  const zones = Array.isArray(cfg.zones) ? cfg.zones : [];
  const defrostPoints = new Map<string, number>();
  const sensors = new Set<string>();
  const productZones = new Set(zones.map(obj).filter((z) => z.product !== undefined && typeof z.id === 'string').map((z) => z.id as string));
  const airProbes: { sensor: string; path: (string | number)[] }[] = [];
  (Array.isArray(cfg.devices) ? cfg.devices : []).forEach((d: unknown, i: number) => {
    const points = obj(d).points;
    (Array.isArray(points) ? points : []).forEach((p: unknown, j: number) => {
      const pt = obj(p);
      if (typeof pt.sensor === 'string') sensors.add(pt.sensor);
      if (pt.kind === 'defrost' && typeof pt.zone === 'string') defrostPoints.set(pt.zone, (defrostPoints.get(pt.zone) ?? 0) + 1);
      if (pt.kind === 'temperature' && typeof pt.sensor === 'string' && productZones.has(pt.zone as string)) {
        airProbes.push({ sensor: pt.sensor, path: ['devices', i, 'points', j, 'sensor'] });
      }
    });
  });
  // the simulated product of probe X is sensor "X-product" (product-temperature.ts): it must be free
  for (const a of airProbes) {
    if (sensors.has(`${a.sensor}-product`)) issues.push({ path: a.path, message: `its simulated product sensor "${a.sensor}-product" is already a configured sensor` });
  }
  zones.forEach((z: unknown, i: number) => {
    const zone = obj(z);
    const profile = obj(zone.profile);
    const warning = obj(obj(zone.alarm).warning);
    const [ph, pl, wh, wl] = [num(profile.high), num(profile.low), num(warning.high), num(warning.low)];
    const at = ['zones', i, 'alarm', 'warning'];
    if (wh !== undefined && ph !== undefined && wh >= ph) issues.push({ path: [...at, 'high'], message: `the warning must come first: below profile.high (${ph})` });
    if (wl !== undefined && pl !== undefined && wl <= pl) issues.push({ path: [...at, 'low'], message: `the warning must come first: above profile.low (${pl})` });
    if (wh !== undefined && wl !== undefined && wl >= wh) issues.push({ path: [...at, 'low'], message: 'warning low must be below warning high' });
    if (zone.defrost !== undefined) {
      const d = obj(zone.defrost);
      const hasSchedule = (Array.isArray(d.at) && d.at.length > 0) || d.everyMin !== undefined;
      const id = typeof zone.id === 'string' ? zone.id : undefined;
      if (!hasSchedule && !(id !== undefined && defrostPoints.has(id))) {
        issues.push({ path: ['zones', i, 'defrost'], message: 'give a schedule (at or everyMin) and/or a point of kind "defrost" in this zone' });
      }
      if (d.firstAt !== undefined && d.everyMin === undefined) issues.push({ path: ['zones', i, 'defrost', 'firstAt'], message: 'firstAt goes with everyMin' });
      if (ph === undefined && wh === undefined) issues.push({ path: ['zones', i, 'defrost'], message: 'defrost holds high alarms: the zone needs profile.high (or alarm.warning.high)' });
    }
  });
  // a defrost output in a zone that does not declare defrost would be silently ignored
  zones.forEach((z: unknown, i: number) => {
    const zone = obj(z);
    if (typeof zone.id === 'string' && defrostPoints.has(zone.id) && zone.defrost === undefined) {
      issues.push({ path: ['zones', i, 'defrost'], message: `zone "${zone.id}" has a defrost point: declare defrost (maxDurationMin, recoveryMin) to use it` });
    }
  });
  return issues;
}
