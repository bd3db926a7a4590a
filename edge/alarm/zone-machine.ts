import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, AlertRule } from '../../protocols/uplink/contract.ts';
import type { ZoneConfig } from '../config.schema.ts';
import type { ActiveAlert } from './active-alert.ts';
import { DefrostTracker } from './defrost.ts';
import { formatBand, formatCelsius, formatDuration } from './messages.ts';
import { OutOfBandWindow } from './out-of-band-window.ts';

export type { ActiveAlert } from './active-alert.ts';

// The cold-chain excursion rules of one zone, as a deterministic state machine on EVENT time.
// It never reads a clock and does no I/O: time only moves when a reading (its own timestamp) or
// an explicit tick(now) says so. The same code therefore runs live (rxjs wrapper ticking with
// the scheduler), in `stockpulse replay` on last month's CSV, and in tests, with the same output.
//
// Rules (per temperature sensor of the zone; see ZoneConfig.alarm):
// - out of band is inclusive: value ≥ high or value ≤ low.
// - delay: 'high'/'low' raises once the value has been out continuously for delaySec; the alert's
//   ts is the exact instant the delay completed, even if the next event comes later.
// - hysteresis: a raised alert clears only at value ≤ high − hysteresis (≥ low + hysteresis).
// - door grace: while the zone's door is open, for at most doorGraceSec, the delay timer is paused
//   (neither started nor advanced). Past the grace 'door_open' (warning) is raised and the timers
//   run again. When the door closes, timers of sensors still out restart from the close time.
// - cumulative: out-of-band time within a rolling window reaching limitSec raises 'cumulative';
//   it clears when the rolling total drops below the limit. Door grace does NOT apply here: it
//   measures what the product went through, whatever the reason.
// - levels: the profile's limits are the critical level (rules high / low, delaySec); an optional
//   alarm.warning adds an earlier level inside the band (rules high_warning / low_warning,
//   severity warning) with its own delay. Each level has its own timer and alert per sensor.
// - defrost (zone.defrost, see defrost.ts): while a defrost and its recovery last, every timer on
//   the high side is paused and high time is not counted by the cumulative rule; a probe still
//   high when the hold ends gets the full delay from then (as after a door closes).
// - product (zone.product): the rules read the zone's simulated product temperature (readings
//   of kind product_temperature, product-temperature.ts) instead of the air.
// A sensor keeps the state of its last reading until the next one (sample-and-hold).
// Events older than the machine's clock are applied at the clock (time never runs backwards).

type Side = 'high' | 'low';

export interface AlertIdInfo {
  zone: string;
  rule: AlertRule;
  sensor: string | undefined;
  /** event time the alert was raised */
  ts: number;
  since: number;
}
/** Makes the id shared by an alert's raised and cleared events. `() => randomUUID()` fits too. */
export type AlertIdFactory = (info: AlertIdInfo) => string;

/** Deterministic ids, so a replay of the same data gives the same ids and a re-sent alert dedupes. */
export const defaultAlertId: AlertIdFactory = ({ zone, rule, sensor, ts }) => `${zone}:${rule}:${sensor ?? '-'}:${ts}`;

export interface ZoneAlarmOptions {
  idFactory?: AlertIdFactory;
  /** the zone has a defrost output (a point of kind `defrost`): periods come from it, not the schedule */
  defrostInput?: boolean;
  /** look at every sensor for the next due time after each reading (the plain form the differential test compares against) */
  scanEverySensor?: boolean;
}

/** One alarm level: limits, delay and the rules it raises. */
interface Level {
  high: number | undefined;
  low: number | undefined;
  delayMs: number;
  rules: Record<Side, AlertRule>;
  label: string;
}

interface LevelState {
  timer: DelayTimer | undefined;
  excursion: (ActiveAlert & { side: Side }) | undefined;
}

const SEVERITY: Partial<Record<AlertRule, AlertEvent['severity']>> = {
  door_open: 'warning', high_warning: 'warning', low_warning: 'warning', missed_defrost: 'warning', defrost: 'info',
};

interface DelayTimer {
  side: Side;
  since: number;
  /** out-of-band ms counted before the current pause (door grace) */
  accumMs: number;
  /** when counting (re)started; null while paused by the door grace */
  runningSince: number | null;
}

interface SensorState {
  id: string;
  value: number | undefined;
  /** per level, in the machine's level order (critical first) */
  levels: LevelState[];
  window: OutOfBandWindow | undefined;
  cumulative: ActiveAlert | undefined;
  /** cached next cumulative transition time: undefined = stale, null = none pending */
  cumDue: number | null | undefined;
}

interface DoorState {
  openedAt: number;
  by: string;
  alert: ActiveAlert | undefined;
}

export class ZoneAlarmMachine {
  readonly zone: ZoneConfig;
  /** the reading kind the rules use: the air, or the simulated product when configured */
  readonly ruleKind: 'temperature' | 'product_temperature';
  private readonly levels: Level[];
  /** the limit a zone must be back below to have recovered from defrost */
  private readonly highLimit: number | undefined;
  private readonly defrost: DefrostTracker<ActiveAlert> | undefined;
  private readonly hysteresis: number;
  private readonly graceMs: number;
  private readonly cum: { windowMs: number; limitMs: number } | undefined;
  private readonly idFactory: AlertIdFactory;

  private now = Number.NEGATIVE_INFINITY;
  private readonly sensors = new Map<string, SensorState>();
  private readonly doorSources = new Map<string, boolean>();
  private door: DoorState | undefined;
  /** cached earliest pending transition: undefined = stale, null = none */
  private dueCache: number | null | undefined = null;
  /**
   * The sensors that may have a transition pending; nextDue looks only at these. A temperature
   * reading changes the due time of its own sensor only, so it adds that one; every other change
   * (a firing, a door, a defrost hold) sets `rescan` and all sensors are looked at again. Without
   * it, every reading scanned every sensor of its zone: a bridge of 100 probes in one zone paid
   * ~3 µs per reading for it (the edge's device-path profile).
   */
  private readonly pending = new Set<SensorState>();
  private rescan = true;
  private readonly scanEvery: boolean;
  private out: AlertEvent[] = [];

  constructor(zone: ZoneConfig, opts: ZoneAlarmOptions = {}) {
    this.zone = zone;
    this.ruleKind = zone.product ? 'product_temperature' : 'temperature';
    this.levels = [{ high: zone.profile.high, low: zone.profile.low, delayMs: zone.alarm.delaySec * 1000, rules: { high: 'high', low: 'low' }, label: '' }];
    const w = zone.alarm.warning;
    if (w) {
      this.levels.push({ high: w.high, low: w.low, delayMs: (w.delaySec ?? zone.alarm.delaySec) * 1000, rules: { high: 'high_warning', low: 'low_warning' }, label: ' (warning)' });
    }
    this.highLimit = zone.profile.high ?? w?.high;
    this.defrost = zone.defrost ? new DefrostTracker<ActiveAlert>(zone.defrost, opts.defrostInput ?? false, {
      zoneName: zone.name,
      recovered: () => this.recovered(),
      hottest: () => this.hottest(),
      raise: (rule, since, ts, value, threshold, message) => {
        const a = this.active(rule, undefined, since, ts, threshold);
        this.emit(a, 'raised', ts, value, message);
        return a;
      },
      clear: (a, ts, value, message) => this.emit(a, 'cleared', ts, value, message),
      holdChanged: (held, t) => this.holdChanged(held, t),
    }) : undefined;
    this.hysteresis = zone.alarm.hysteresis;
    this.graceMs = zone.alarm.doorGraceSec * 1000;
    const c = zone.alarm.cumulative;
    this.cum = c ? { windowMs: c.windowSec * 1000, limitMs: c.limitSec * 1000 } : undefined;
    this.idFactory = opts.idFactory ?? defaultAlertId;
    this.scanEvery = opts.scanEverySensor ?? false;
  }

  /** The machine's event-time clock (ms); −Infinity before the first event. */
  get clock(): number {
    return this.now;
  }

  /** Routes a canonical reading: the rule temperature, door and defrost are used, other kinds and bad quality ignored. */
  reading(r: Reading): AlertEvent[] {
    if (r.quality === 'bad') return [];
    if (r.kind === this.ruleKind) return this.temperature(r.sensor, r.ts, r.value);
    if (r.kind === 'door') return this.doorReading(r.sensor, r.ts, r.value >= 0.5);
    if (r.kind === 'defrost') return this.defrostReading(r.sensor, r.ts, r.value >= 0.5);
    return [];
  }

  /** High alarms are held (a defrost or its recovery). */
  get held(): boolean {
    return this.defrost?.held ?? false;
  }

  temperature(sensor: string, ts: number, value: number): AlertEvent[] {
    if (!Number.isFinite(value) || !Number.isFinite(ts)) return [];
    const t = this.enter(ts, true);
    const s = this.sensor(sensor);
    this.applyTemperature(s, t, value);
    // only a sensor with something due joins (an add and a delete per in-band reading churned the set's table)
    if (!this.pending.has(s) && this.sensorDue(s) !== null) this.pending.add(s);
    this.defrost?.temperature(t, value);
    return this.leave(t);
  }

  /** A defrost output of the zone reported on (1) or off (0); ignored by a zone that declares no defrost. */
  defrostReading(source: string, ts: number, on: boolean): AlertEvent[] {
    if (!Number.isFinite(ts) || !this.defrost) return [];
    const t = this.enter(ts);
    this.defrost.input(source, t, on);
    return this.leave(t);
  }

  /** A door contact of the zone changed (or repeated) its state; the zone's door is open if any contact is. */
  doorReading(source: string, ts: number, open: boolean): AlertEvent[] {
    if (!Number.isFinite(ts)) return [];
    const t = this.enter(ts);
    this.applyDoor(source, t, open);
    return this.leave(t);
  }

  /** Time passed with no reading: fires every transition due up to `now`. */
  tick(now: number): AlertEvent[] {
    if (!Number.isFinite(now)) return [];
    now = Math.floor(now);
    this.defrost?.begin(now);
    const due = this.nextDue();
    if (now <= this.now || due === undefined || due > now) {
      this.now = Math.max(this.now, now);
      return [];
    }
    this.advance(now);
    return this.out.splice(0);
  }

  /** Event time of the next transition if no new reading arrives (undefined: none pending). */
  nextDue(): number | undefined {
    if (this.dueCache === undefined) {
      let due = Number.POSITIVE_INFINITY;
      if (this.door && !this.door.alert) due = Math.min(due, this.door.openedAt + this.graceMs);
      if (this.rescan || this.scanEvery) {
        this.rescan = false;
        for (const s of this.sensors.values()) this.pending.add(s);
      }
      if (this.pending.size) for (const s of this.pending) {
        const d = this.sensorDue(s);
        if (d === null) this.pending.delete(s); // nothing pending: back only through a reading or a rescan
        else due = Math.min(due, d);
      }
      const d = this.defrost?.nextDue();
      if (d !== undefined) due = Math.min(due, d);
      this.dueCache = Number.isFinite(due) ? due : null;
    }
    return this.dueCache ?? undefined;
  }

  /** the sensor's earliest transition: a running delay timer or its cumulative rule (null: none) */
  private sensorDue(s: SensorState): number | null {
    let due: number | null = null;
    for (let i = 0; i < s.levels.length; i++) {
      const tm = s.levels[i]!.timer;
      if (tm && tm.runningSince !== null) {
        const d = tm.runningSince + this.levels[i]!.delayMs - tm.accumMs;
        if (due === null || d < due) due = d;
      }
    }
    const c = this.cumulativeDue(s);
    return c !== null && (due === null || c < due) ? c : due;
  }

  /** the cached due time is stale, and any sensor's may have changed */
  private invalidate(): void {
    this.dueCache = undefined;
    this.rescan = true;
  }

  /** Cumulative-window intervals held in memory (bounded by the excursions inside one window). */
  heldIntervals(): number {
    let n = 0;
    for (const s of this.sensors.values()) n += s.window?.size ?? 0;
    return n;
  }

  /** Alerts raised and not yet cleared. */
  activeAlerts(): ActiveAlert[] {
    const list: ActiveAlert[] = [];
    if (this.door?.alert) list.push(this.door.alert);
    for (const s of this.sensors.values()) {
      for (const ls of s.levels) if (ls.excursion) list.push(ls.excursion);
      if (s.cumulative) list.push(s.cumulative);
    }
    if (this.defrost) list.push(...this.defrost.activeAlerts());
    return list;
  }

  // ---- time handling ----

  /** `oneSensor`: only a temperature reading's own sensor changes (the caller adds it to `pending`) */
  private enter(ts: number, oneSensor = false): number {
    this.defrost?.begin(Math.floor(ts));
    const t = Math.max(Math.floor(ts), this.now);
    this.advance(t);
    if (oneSensor) this.dueCache = undefined;
    else this.invalidate();
    return t;
  }

  private leave(t: number): AlertEvent[] {
    this.advance(t); // zero-delay rules (delaySec 0, doorGraceSec 0, limit reached) fire at once
    return this.out.splice(0);
  }

  /** Fires pending transitions in time order, each at its own due time, up to `to`. */
  private advance(to: number): void {
    // Each firing resolves the transition it fired (raise → no longer pending), so this ends;
    // the guard only protects a live gateway from a logic bug turning into a hang.
    for (let guard = 0; guard < 100_000; guard++) {
      const due = this.nextDue();
      if (due === undefined || due > to) break;
      this.now = Math.max(this.now, due);
      this.fire(this.now);
    }
    this.now = Math.max(this.now, to);
  }

  private fire(t: number): void {
    this.invalidate();
    // defrost first: a defrost starting at t holds a high delay completing at the same instant
    this.defrost?.fire(t);
    const door = this.door;
    if (door && !door.alert && door.openedAt + this.graceMs <= t) this.raiseDoor(door);
    for (const s of this.sensors.values()) {
      s.levels.forEach((ls, i) => {
        const tm = ls.timer;
        if (tm && tm.runningSince !== null && tm.runningSince + this.levels[i]!.delayMs - tm.accumMs <= t) this.raiseExcursion(s, i, t);
      });
      const c = this.cumulativeDue(s);
      if (c !== null && c <= t) this.evaluateCumulative(s, t);
    }
  }

  // ---- temperature: delay + hysteresis ----

  private sensor(id: string): SensorState {
    let s = this.sensors.get(id);
    if (!s) {
      s = {
        id, value: undefined, levels: this.levels.map(() => ({ timer: undefined, excursion: undefined })),
        window: this.cum ? new OutOfBandWindow(this.cum.windowMs) : undefined,
        cumulative: undefined, cumDue: undefined,
      };
      this.sensors.set(id, s);
    }
    return s;
  }

  private side(level: Level, value: number): Side | null {
    if (level.high !== undefined && value >= level.high) return 'high';
    if (level.low !== undefined && value <= level.low) return 'low';
    return null;
  }

  /** back inside the level's band by at least the hysteresis (and strictly inside even with hysteresis 0) */
  private clears(level: Level, side: Side, value: number): boolean {
    const { low, high } = level;
    if (side === 'high') return high === undefined || (value < high && value <= high - this.hysteresis);
    return low === undefined || (value > low && value >= low + this.hysteresis);
  }

  /** the door is open and still inside its grace: excursion timing is paused */
  private get suppressed(): boolean {
    return this.door !== undefined && this.door.alert === undefined;
  }

  /** a timer on this side may count now (not paused by the door grace or a defrost hold) */
  private runnable(side: Side): boolean {
    return !this.suppressed && !(side === 'high' && this.held);
  }

  /** the side the cumulative rule counts: the critical band, high time not counted during a defrost hold */
  private windowSide(value: number): Side | null {
    const side = this.side(this.levels[0]!, value);
    return side === 'high' && this.held ? null : side;
  }

  private applyTemperature(s: SensorState, t: number, value: number): void {
    s.value = value;
    if (s.window) {
      if (this.windowSide(value)) s.window.markOut(t);
      else s.window.markIn(t);
      s.window.prune(t);
      s.cumDue = undefined;
    }
    s.levels.forEach((ls, i) => {
      const level = this.levels[i]!;
      const side = this.side(level, value);
      if (ls.excursion) {
        if (!this.clears(level, ls.excursion.side, value)) return; // still out, or inside the hysteresis band
        this.clearExcursion(s, i, t, value);
      }
      if (side === null) {
        ls.timer = undefined; // back in band before the delay completed: no alert, start over next time
        return;
      }
      if (!ls.timer || ls.timer.side !== side) {
        ls.timer = { side, since: t, accumMs: 0, runningSince: this.runnable(side) ? t : null };
      }
    });
  }

  private raiseExcursion(s: SensorState, i: number, t: number): void {
    const ls = s.levels[i]!;
    const level = this.levels[i]!;
    const tm = ls.timer!;
    ls.timer = undefined;
    const threshold = tm.side === 'high' ? level.high! : level.low!;
    const value = s.value!;
    const alert = this.active(level.rules[tm.side], s.id, tm.since, t, threshold);
    ls.excursion = { ...alert, side: tm.side };
    const cmp = tm.side === 'high' ? '≥' : '≤';
    this.emit(alert, 'raised', t, value,
      `${this.zone.name}: ${s.id} at ${formatCelsius(value)} ${cmp} ${threshold} °C for ${formatDuration(t - tm.since)}${level.label}`);
  }

  private clearExcursion(s: SensorState, i: number, t: number, value: number): void {
    const ls = s.levels[i]!;
    const a = ls.excursion!;
    ls.excursion = undefined;
    const point = a.side === 'high' ? `≤ ${formatCelsius(a.threshold! - this.hysteresis)}` : `≥ ${formatCelsius(a.threshold! + this.hysteresis)}`;
    this.emit(a, 'cleared', t, value,
      `${this.zone.name}: ${s.id} back to ${formatCelsius(value)} (${point}) after ${formatDuration(t - a.since)}${this.levels[i]!.label}`);
  }

  // ---- defrost hold ----

  private holdChanged(held: boolean, t: number): void {
    this.invalidate();
    for (const s of this.sensors.values()) {
      for (const ls of s.levels) {
        const tm = ls.timer;
        if (!tm || tm.side !== 'high') continue;
        if (held && tm.runningSince !== null) {
          tm.accumMs += t - tm.runningSince;
          tm.runningSince = null;
        } else if (!held) {
          // as after a door closes: a probe still high gets the full delay from the end of the hold
          ls.timer = { side: 'high', since: t, accumMs: 0, runningSince: this.runnable('high') ? t : null };
        }
      }
      if (s.window && s.value !== undefined && this.side(this.levels[0]!, s.value) === 'high') {
        if (held) s.window.markIn(t);
        else s.window.markOut(t);
        s.cumDue = undefined;
      }
    }
  }

  /** every rule temperature is below the zone's high limit (no limit: always) */
  private recovered(): boolean {
    if (this.highLimit === undefined) return true;
    for (const s of this.sensors.values()) if (s.value !== undefined && s.value >= this.highLimit) return false;
    return true;
  }

  private hottest(): number | undefined {
    let max: number | undefined;
    for (const s of this.sensors.values()) if (s.value !== undefined) max = max === undefined ? s.value : Math.max(max, s.value);
    return max;
  }

  // ---- door ----

  private applyDoor(source: string, t: number, open: boolean): void {
    const wasOpen = this.anyDoorOpen();
    this.doorSources.set(source, open);
    const isOpen = this.anyDoorOpen();
    if (!wasOpen && isOpen) {
      this.door = { openedAt: t, by: source, alert: undefined };
      for (const s of this.sensors.values()) {
        for (const { timer: tm } of s.levels) {
          if (tm && tm.runningSince !== null) {
            tm.accumMs += t - tm.runningSince;
            tm.runningSince = null;
          }
        }
      }
    } else if (wasOpen && !isOpen) {
      const door = this.door!;
      this.door = undefined;
      if (door.alert) {
        this.emit(door.alert, 'cleared', t, (t - door.openedAt) / 1000,
          `${this.zone.name}: door closed after ${formatDuration(t - door.openedAt)}`);
      }
      // Warm air from the opening is forgiven: a probe still out gets the full delay from now.
      for (const s of this.sensors.values()) {
        for (const ls of s.levels) {
          if (ls.timer) ls.timer = { side: ls.timer.side, since: t, accumMs: 0, runningSince: this.runnable(ls.timer.side) ? t : null };
        }
      }
    }
  }

  private anyDoorOpen(): boolean {
    for (const open of this.doorSources.values()) if (open) return true;
    return false;
  }

  private raiseDoor(door: DoorState): void {
    const t = door.openedAt + this.graceMs;
    door.alert = this.active('door_open', door.by, door.openedAt, t, this.graceMs / 1000);
    this.emit(door.alert, 'raised', t, (t - door.openedAt) / 1000,
      `${this.zone.name}: door open for over ${formatDuration(this.graceMs)} (${door.by})`);
    // The grace is over: paused excursion timers count again from its end.
    for (const s of this.sensors.values()) {
      for (const { timer: tm } of s.levels) {
        if (tm && tm.runningSince === null && this.runnable(tm.side)) tm.runningSince = t;
      }
    }
  }

  // ---- cumulative ----

  /** When the sensor's cumulative alert will next change state if nothing else happens. */
  private cumulativeDue(s: SensorState): number | null {
    const w = s.window;
    const cum = this.cum;
    if (!w || !cum) return null;
    if (s.cumDue !== undefined) return s.cumDue;
    const now = this.now;
    w.prune(now);
    let due: number | null = null;
    if (!s.cumulative) {
      // Rising only while out of band; it can reach the limit only if the window can hold it.
      if (w.isOut && cum.limitMs <= cum.windowMs) {
        const openStart = w.openSince!;
        due = firstTrue(now, Math.max(now, openStart + cum.limitMs), (t) => w.total(t) >= cum.limitMs);
      }
    } else if (!w.isOut) {
      // Falling only while in band, as old excursions slide out of the window.
      const hi = Math.max(now, (w.lastEnd ?? now) + cum.windowMs);
      due = firstTrue(now, hi, (t) => w.total(t) < cum.limitMs);
    }
    s.cumDue = due;
    return due;
  }

  private evaluateCumulative(s: SensorState, t: number): void {
    const w = s.window!;
    const cum = this.cum!;
    s.cumDue = undefined;
    const total = w.total(t);
    const band = formatBand(this.zone.profile.low, this.zone.profile.high);
    const window = formatDuration(cum.windowMs);
    if (!s.cumulative && total >= cum.limitMs) {
      const since = w.earliestStart(t) ?? t;
      s.cumulative = this.active('cumulative', s.id, since, t, cum.limitMs / 1000);
      this.emit(s.cumulative, 'raised', t, total / 1000,
        `${this.zone.name}: ${s.id} out of ${band} for ${formatDuration(total)} in the last ${window} (limit ${formatDuration(cum.limitMs)})`);
    } else if (s.cumulative && total < cum.limitMs) {
      const a = s.cumulative;
      s.cumulative = undefined;
      this.emit(a, 'cleared', t, total / 1000,
        `${this.zone.name}: ${s.id} back under the limit: ${formatDuration(total)} out of ${band} in the last ${window}`);
    }
  }

  // ---- output ----

  private active(rule: AlertRule, sensor: string | undefined, since: number, ts: number, threshold: number | undefined): ActiveAlert {
    const id = this.idFactory({ zone: this.zone.id, rule, sensor, ts, since });
    return { id, rule, sensor, since, raisedAt: ts, threshold };
  }

  private emit(a: ActiveAlert, transition: 'raised' | 'cleared', ts: number, value: number | undefined, message: string): void {
    // fields in the contract's order, optional ones left out rather than undefined (JSON lines stay tidy)
    const ev: AlertEvent = { id: a.id, transition, rule: a.rule, zone: this.zone.id } as AlertEvent;
    if (a.sensor !== undefined) ev.sensor = a.sensor;
    ev.severity = SEVERITY[a.rule] ?? 'critical';
    ev.ts = ts;
    ev.since = a.since;
    if (value !== undefined && Number.isFinite(value)) ev.value = Number(value.toFixed(3));
    if (a.threshold !== undefined) ev.threshold = a.threshold;
    ev.message = message;
    this.out.push(ev);
  }
}

/** Smallest integer t in [lo, hi] with pred(t), for pred monotone false→true; null if none. */
function firstTrue(lo: number, hi: number, pred: (t: number) => boolean): number | null {
  lo = Math.ceil(lo);
  hi = Math.ceil(hi);
  if (pred(lo)) return lo;
  if (!pred(hi)) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
