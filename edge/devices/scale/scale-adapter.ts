import type { WeightSample } from '../../../protocols/scale/weight-sample.ts';
import { ScaleTuning } from '../../scale/scale-config.ts';
import { WeighTracker } from '../../scale/weigh-tracker.ts';
import type { ModbusScaleDeviceConfig, SerialScaleDeviceConfig } from '../device-config.schema.ts';
import { badInputErrors } from '../bad-input-errors.ts';
import type { DriverContext, ProtocolAdapter } from '../driver-context.ts';
import { DriverGroup } from '../driver-group.ts';
import { ModbusScaleDriver } from './modbus-scale-driver.ts';
import { SerialScaleDriver } from './serial-scale-driver.ts';

// Scales, on a serial line or over Modbus TCP: every sample is a weight reading; a stable change
// beyond tolerance is a consumption / refill movement for the scale's bin (edge/scale/).

/** What a scale's samples become: weight readings, and the movements its WeighTracker books. */
function weighing(d: SerialScaleDeviceConfig | ModbusScaleDeviceConfig, ctx: DriverContext): (s: WeightSample) => void {
  const point = d.points[0]!;
  const tuning = ScaleTuning.parse({ ...d.weighing, zone: d.weighing.zone ?? point.zone });
  // The booked level survives a restart, kept in the same commit as the movement that moved
  // it: goods taken while the gateway was down are booked once it is back (not absorbed into a
  // fresh baseline), and a movement already kept is never booked twice.
  const key = `scale-booked:${d.id}`;
  const restored = Number(ctx.state.savedState(key) ?? NaN);
  const tracker = new WeighTracker(d.id, tuning, Number.isFinite(restored) ? restored : undefined);
  let kept = tracker.state().bookedNetKg;
  ctx.log.info({ device: d.id, bookedNetKg: kept ?? null }, kept === undefined ? 'scale: no booked level kept, the first stable level is the baseline' : 'scale: booked level restored');
  return (s) => {
    if (s.kg !== undefined) ctx.emitReading({ sensor: point.sensor, kind: 'weight', ts: s.ts, value: s.kg, quality: s.stable ? 'good' : 'uncertain' }, d.id);
    for (const m of tracker.ingest(s)) {
      const booked = tracker.state().bookedNetKg;
      if (m.type !== 'count') ctx.log.info({ device: d.id, movement: m.id, type: m.type, quantity: m.quantity, unit: m.unit, bookedNetKg: booked ?? null }, `scale ${m.type} ${m.quantity} ${m.unit}`);
      if (m.type === 'count' || booked === undefined) ctx.onMovement(m);
      else {
        ctx.onMovement(m, { [key]: String(booked) });
        kept = booked;
      }
    }
    const booked = tracker.state().bookedNetKg;
    if (booked !== undefined && booked !== kept) { // the first stable level: the baseline
      kept = booked;
      ctx.log.info({ device: d.id, bookedNetKg: booked }, 'scale: baseline level booked');
      ctx.state.saveState({ [key]: String(booked) });
    }
  };
}

export const serialScaleAdapter: ProtocolAdapter<SerialScaleDeviceConfig> = {
  create: (devices, ctx) => new DriverGroup('serial-scale', devices.map((d) => new SerialScaleDriver({
    id: d.id, path: d.path, baudRate: d.baudRate, dataBits: d.dataBits, parity: d.parity, stopBits: d.stopBits, mode: d.mode, pollMs: d.pollMs, timeoutMs: d.timeoutMs,
    onSample: weighing(d, ctx), onError: badInputErrors(ctx),
  }))),
};

export const modbusScaleAdapter: ProtocolAdapter<ModbusScaleDeviceConfig> = {
  create: (devices, ctx) => new DriverGroup('modbus-scale', devices.map((d) => new ModbusScaleDriver({
    id: d.id, host: d.host, port: d.port, unitId: d.unitId, pollMs: d.pollMs, timeoutMs: d.timeoutMs, layout: d.layout,
    onSample: weighing(d, ctx), onError: badInputErrors(ctx),
  }))),
};
