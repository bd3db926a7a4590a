import type { AlertRule } from '../../protocols/uplink/contract.ts';
import { scheduleMinutes, type DefrostConfig } from './cold-chain.schema.ts';
import { nextScheduledStart } from './defrost-schedule.ts';
import { formatCelsius, formatDuration } from './messages.ts';

// Defrost of one zone, as plain state on event time (no clock, no I/O), driven by the zone
// machine (zone-machine.ts) like its other rules: readings and tick(now) move time, nextDue()
// says when the next transition falls.
//
// - A defrost period starts when the controller's defrost output turns on (a point of kind
//   `defrost`); without such a point, at each scheduled start, and is then assumed to last
//   maxDuration.
// - Hold: from a period's start until its end (at most maxDuration after the start) plus the
//   recovery time, the zone's high alarms are held. The hold is bounded on purpose: a heater
//   stuck on, or a compressor failing during defrost, cannot hide behind it for ever.
// - The hold is reported as an `info` alert of rule `defrost` (raised at the start, cleared at
//   the end of the hold), which the cloud stores and the exposure record excuses.
// - defrost_overrun (critical): the output still on after maxDuration, or the zone not back
//   below its high limit when the recovery time ends. Clears once the defrost is over and the
//   zone is back below the limit.
// - missed_defrost (warning): with an input, a scheduled start with no defrost signal within
//   ± window; without, a scheduled period whose air never rose by minRiseC. Clears at the next
//   defrost seen.

/** the tracker only needs to hold on to what the machine made of a raise */
export interface DefrostAlert {
  id: string;
  rule: AlertRule;
  since: number;
}

/** What the tracker needs from its zone machine. */
export interface DefrostHost<A extends DefrostAlert = DefrostAlert> {
  zoneName: string;
  /** every rule temperature of the zone is below its high limit */
  recovered(): boolean;
  /** the hottest current rule temperature (undefined before any reading) */
  hottest(): number | undefined;
  raise(rule: AlertRule, since: number, ts: number, value: number | undefined, threshold: number | undefined, message: string): A;
  clear(alert: A, ts: number, value: number | undefined, message: string): void;
  /** the hold of high alarms began (true) or ended (false) at t */
  holdChanged(held: boolean, t: number): void;
}

interface Period<A> {
  start: number;
  /** when the defrost ended (input off, or start + maxDuration for a scheduled one); undefined while running */
  end: number | undefined;
  source: 'input' | 'schedule';
  info: A;
  /** a scheduled (no input) period: temperature when it began and the highest since */
  startValue: number | undefined;
  maxValue: number | undefined;
}

const MIN = 60_000;

export class DefrostTracker<A extends DefrostAlert = DefrostAlert> {
  readonly hasInput: boolean;
  private readonly minutes: number[];
  private readonly tz: string;
  private readonly maxMs: number;
  private readonly recMs: number;
  private readonly windowMs: number;
  private readonly minRise: number;

  private nextSched: number | undefined;
  private started = false;
  private readonly inputs = new Map<string, boolean>();
  private lastInputStart = Number.NEGATIVE_INFINITY;
  /** scheduled starts (input mode) waiting for the end of their window */
  private readonly checks: number[] = [];
  private period: Period<A> | undefined;
  private holdUntil: number | undefined;
  private overrun: A | undefined;
  private missed: A | undefined;

  constructor(cfg: DefrostConfig, hasInput: boolean, private readonly host: DefrostHost<A>) {
    this.hasInput = hasInput;
    this.minutes = scheduleMinutes(cfg);
    this.tz = cfg.timeZone;
    this.maxMs = cfg.maxDurationMin * MIN;
    this.recMs = cfg.recoveryMin * MIN;
    this.windowMs = cfg.windowMin * MIN;
    this.minRise = cfg.minRiseC;
  }

  /** High alarms are held now (a defrost, or its recovery). */
  get held(): boolean {
    return this.holdUntil !== undefined;
  }

  get defrosting(): boolean {
    return this.period !== undefined && this.period.end === undefined;
  }

  /** Its alerts raised and not yet cleared (the defrost info alert while the hold lasts). */
  activeAlerts(): A[] {
    const list: A[] = [];
    if (this.period && this.holdUntil !== undefined) list.push(this.period.info);
    if (this.overrun) list.push(this.overrun);
    if (this.missed) list.push(this.missed);
    return list;
  }

  /** The schedule counts from the machine's first event on (earlier starts are unknown). */
  begin(t: number): void {
    if (this.started) return;
    this.started = true;
    this.nextSched = nextScheduledStart(this.minutes, this.tz, t);
  }

  nextDue(): number | undefined {
    let due = Number.POSITIVE_INFINITY;
    if (this.nextSched !== undefined) due = Math.min(due, this.nextSched);
    if (this.checks.length) due = Math.min(due, this.checks[0]! + this.windowMs);
    const p = this.period;
    if (p && p.end === undefined && (p.source === 'schedule' || !this.overrun)) due = Math.min(due, p.start + this.maxMs);
    if (this.holdUntil !== undefined) due = Math.min(due, this.holdUntil);
    return Number.isFinite(due) ? due : undefined;
  }

  /** Fires every transition due at or before t (called in time order by the machine). */
  fire(t: number): void {
    if (this.nextSched !== undefined && this.nextSched <= t) {
      const s = this.nextSched;
      this.nextSched = nextScheduledStart(this.minutes, this.tz, s + 1);
      if (this.hasInput) this.checks.push(s);
      else this.startPeriod(s, 'schedule');
    }
    while (this.checks.length && this.checks[0]! + this.windowMs <= t) this.checkScheduled(this.checks.shift()!);
    const p = this.period;
    if (p && p.end === undefined && p.start + this.maxMs <= t) {
      if (p.source === 'schedule') this.endScheduled(p, p.start + this.maxMs);
      else if (!this.overrun) {
        const at = p.start + this.maxMs;
        this.overrun = this.host.raise('defrost_overrun', p.start, at, this.maxMs / 1000, this.maxMs / 1000,
          `${this.host.zoneName}: defrost still running after ${formatDuration(this.maxMs)} (maximum ${formatDuration(this.maxMs)})`);
      }
    }
    if (this.holdUntil !== undefined && this.holdUntil <= t) this.endHold(this.holdUntil);
  }

  /** A defrost output of the zone reported its state (several outputs: on while any is). */
  input(source: string, t: number, on: boolean): void {
    const was = this.anyOn();
    this.inputs.set(source, on);
    const is = this.anyOn();
    if (!was && is) {
      this.lastInputStart = t;
      this.startPeriod(t, 'input');
    } else if (was && !is && this.period && this.period.end === undefined) {
      this.period.end = t;
      // the hold runs on for the recovery time (never past its bound)
      if (this.holdUntil !== undefined) this.holdUntil = Math.min(this.holdUntil, t + this.recMs);
      this.settle(t);
    }
  }

  /** A rule temperature of the zone (after the machine applied it). */
  temperature(t: number, value: number): void {
    const p = this.period;
    if (p && p.source === 'schedule' && p.end === undefined) {
      p.startValue ??= value;
      p.maxValue = Math.max(p.maxValue ?? value, value);
    }
    this.settle(t);
  }

  private anyOn(): boolean {
    for (const on of this.inputs.values()) if (on) return true;
    return false;
  }

  private startPeriod(t: number, source: Period<A>['source']): void {
    const prev = this.period;
    if (prev?.info && this.holdUntil !== undefined) this.closeInfo(prev, t, 'a new defrost began');
    const startValue = source === 'schedule' ? this.host.hottest() : undefined;
    const info = this.host.raise('defrost', t, t, undefined, this.maxMs / 1000,
      `${this.host.zoneName}: defrost ${source === 'input' ? 'started (controller)' : 'scheduled'}; high alarms held up to ${formatDuration(this.maxMs)} + ${formatDuration(this.recMs)} recovery`);
    this.period = { start: t, end: undefined, source, info, startValue, maxValue: startValue };
    const wasHeld = this.held;
    this.holdUntil = t + this.maxMs + this.recMs;
    if (!wasHeld) this.host.holdChanged(true, t);
    // a defrost was seen: the previous missed one is history
    if (source === 'input' && this.missed) this.clearMissed(t, 'defrost seen again');
  }

  private endScheduled(p: Period<A>, at: number): void {
    p.end = at;
    const rise = p.startValue !== undefined && p.maxValue !== undefined ? p.maxValue - p.startValue : 0;
    if (rise >= this.minRise) {
      if (this.missed) this.clearMissed(at, `defrost seen again (air rose ${formatCelsius(rise)})`);
    } else if (!this.missed) {
      this.missed = this.host.raise('missed_defrost', p.start, at, rise, this.minRise,
        `${this.host.zoneName}: scheduled defrost at ${new Date(p.start).toISOString().slice(11, 16)} UTC did not happen (air rose only ${formatCelsius(rise)}, expected ≥ ${formatCelsius(this.minRise)})`);
    }
  }

  private checkScheduled(s: number): void {
    const p = this.period;
    const seen = this.lastInputStart >= s - this.windowMs
      || (p !== undefined && p.source === 'input' && (p.end === undefined || p.end >= s - this.windowMs));
    if (seen || this.missed) return;
    const at = s + this.windowMs;
    this.missed = this.host.raise('missed_defrost', s, at, undefined, this.windowMs / 1000,
      `${this.host.zoneName}: scheduled defrost at ${new Date(s).toISOString().slice(11, 16)} UTC did not happen (no defrost signal within ${formatDuration(this.windowMs)})`);
  }

  private clearMissed(t: number, why: string): void {
    const a = this.missed!;
    this.missed = undefined;
    this.host.clear(a, t, undefined, `${this.host.zoneName}: ${why}`);
  }

  private endHold(t: number): void {
    const p = this.period!;
    this.holdUntil = undefined;
    this.closeInfo(p, t, p.end === undefined ? 'still defrosting: high alarms no longer held' : 'recovery time over');
    this.host.holdChanged(false, t);
    if (!this.overrun && !this.host.recovered()) {
      const hot = this.host.hottest();
      this.overrun = this.host.raise('defrost_overrun', p.start, t, hot, undefined,
        `${this.host.zoneName}: not recovered ${formatDuration(this.recMs)} after defrost${hot !== undefined ? ` (${formatCelsius(hot)})` : ''}`);
    }
    this.settle(t); // an overrun raised while the defrost ran may be over by now
  }

  private closeInfo(p: Period<A>, t: number, why: string): void {
    const ran = (p.end ?? t) - p.start;
    this.host.clear(p.info, t, ran / 1000, `${this.host.zoneName}: defrost over after ${formatDuration(ran)} (${why})`);
  }

  /** An overrun clears once no defrost runs and the zone is back below its limit. */
  private settle(t: number): void {
    if (!this.overrun || this.defrosting || !this.host.recovered()) return;
    const a = this.overrun;
    this.overrun = undefined;
    this.host.clear(a, t, this.host.hottest(), `${this.host.zoneName}: recovered from defrost after ${formatDuration(t - a.since)}`);
  }
}
