import { Observable, Subscription, asyncScheduler, interval, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import type { EdgeConfig, ZoneConfig } from '../config.schema.ts';
import { sensorRoutes, type SensorRoute } from './routing.ts';
import { ZoneAlarmMachine, type ZoneAlarmOptions } from './zone-machine.ts';

// rxjs wrapper around the pure zone machines. Readings drive them with their own timestamps; a
// ticker feeds them the scheduler's time so an alarm delay completes even when a sensor goes
// quiet (a probe that stops reporting at 9 °C must still raise). Pass a TestScheduler or
// VirtualTimeScheduler as `scheduler` for deterministic tests.

export interface AlarmStreamOptions extends ZoneAlarmOptions {
  /** how often time is pushed into the machines when no reading arrives (ms, default 1000) */
  tickMs?: number;
  scheduler?: SchedulerLike;
}

/** Kinds the zone machines use; others never reach them. */
const ALARM_KINDS: ReadonlySet<string> = new Set(['temperature', 'product_temperature', 'door', 'defrost']);

/** All temperature/door/defrost readings go to the one zone; other kinds are ignored. */
export function zoneAlarms(zone: ZoneConfig, opts: AlarmStreamOptions = {}): OperatorFunction<Reading, AlertEvent> {
  return alarmsByZone([zone], () => zone.id, opts);
}

/** The gateway's alarm pipeline: routes every reading to its zone by the config's sensor list. */
export function gatewayAlarms(config: Pick<EdgeConfig, 'zones' | 'devices'>, opts: AlarmStreamOptions = {}): OperatorFunction<Reading, AlertEvent> {
  return alarmsByZone(config.zones, sensorRoutes(config), opts);
}

/**
 * One machine per zone, fed the readings whose sensor maps to it (unknown sensors are dropped),
 * all ticked by one timer. Completes when the source completes.
 */
export function alarmsByZone(
  zones: readonly ZoneConfig[],
  route: ReadonlyMap<string, SensorRoute> | ((sensor: string) => string | undefined),
  opts: AlarmStreamOptions = {},
): OperatorFunction<Reading, AlertEvent> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const tickMs = opts.tickMs ?? 1000;
  const zoneOf = typeof route === 'function' ? route : (sensor: string) => route.get(sensor)?.zone;
  // a zone with a defrost output takes its defrost periods from it (not from the schedule)
  const withInput = new Set(typeof route === 'function' ? [] : [...route.values()].filter((r) => r.kind === 'defrost').map((r) => r.zone));
  return (source) => new Observable<AlertEvent>((subscriber) => {
    const machines = new Map(zones.map((z) => [z.id, new ZoneAlarmMachine(z, { ...opts, defrostInput: opts.defrostInput ?? withInput.has(z.id) })] as const));
    const emit = (events: AlertEvent[]) => {
      for (const e of events) subscriber.next(e);
    };
    const subs = new Subscription();
    subs.add(interval(tickMs, scheduler).subscribe(() => {
      const now = scheduler.now();
      for (const m of machines.values()) emit(m.tick(now));
    }));
    subs.add(source.subscribe({
      next: (r) => {
        if (!ALARM_KINDS.has(r.kind)) return;
        const zone = zoneOf(r.sensor);
        const m = zone === undefined ? undefined : machines.get(zone);
        if (m) emit(m.reading(r));
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }));
    return subs;
  });
}
