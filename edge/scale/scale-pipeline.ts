import { filter, map, mergeMap, type OperatorFunction } from 'rxjs';
import type { WeightSample } from '../../protocols/scale/weight-sample.ts';
import type { MovementEvent } from '../../protocols/uplink/contract.ts';
import type { Reading } from '../../protocols/reading.ts';
import { WeighTracker } from './weigh-tracker.ts';
import type { ScaleTuning } from './scale-config.ts';

// rxjs wiring of one scale: samples → movements (and a `weight` reading per sample, so the
// weight series shows on the dashboard like any sensor).

export function scaleMovements(device: string, cfg: ScaleTuning, tracker = new WeighTracker(device, cfg)): OperatorFunction<WeightSample, MovementEvent> {
  return mergeMap((s) => tracker.ingest(s));
}

/** a sample as a Reading (kg, quality uncertain while unstable); overloads give none */
export function scaleReadings(sensor: string): OperatorFunction<WeightSample, Reading> {
  return (src) => src.pipe(
    filter((s) => s.kg !== undefined),
    map((s): Reading => ({ sensor, kind: 'weight', ts: s.ts, value: s.kg!, quality: s.stable ? 'good' : 'uncertain' })),
  );
}
