import { z } from 'zod';
import { SpError } from '../protocols/errors.ts';

// The faults a simulator can inject. Zone faults change the physics (every sensor in the room
// sees them); device faults change what one device puts on the wire.

export const ZONE_FAULTS = ['door_open', 'compressor_failure'] as const;
export const DEVICE_FAULTS = ['dropout', 'garbage'] as const;
export const FAULTS = [...ZONE_FAULTS, ...DEVICE_FAULTS] as const;
export const FaultName = z.enum(FAULTS);
export type FaultName = z.infer<typeof FaultName>;
export type ZoneFault = (typeof ZONE_FAULTS)[number];
export type DeviceFault = (typeof DEVICE_FAULTS)[number];

/**
 * What makes sense where (issue #13: the Simulator box offered "Compressor fail" on the dock
 * portal and the scales): a room has a door and a compressor; a device can go silent or send
 * garbage. A room fault given a device still reaches its room through the runner, but a
 * portal or a scale stands in no cold room, so nothing offers it there.
 */
export function faultsFor(kind: 'zone' | 'device'): readonly FaultName[] {
  return kind === 'zone' ? ZONE_FAULTS : DEVICE_FAULTS;
}

export function isZoneFault(f: FaultName): f is ZoneFault {
  return (ZONE_FAULTS as readonly string[]).includes(f);
}

/** One fault switch: `target` is a zone id or a device id of the running scenario. */
export const FaultChange = z.object({
  target: z.string().min(1),
  fault: FaultName,
  active: z.boolean().default(true),
}).strict();
export type FaultChange = z.infer<typeof FaultChange>;
export type FaultChangeInput = z.input<typeof FaultChange>;

/** Parses the CLI form `target:fault` (e.g. `chiller:compressor_failure`). */
export function parseFaultSpec(spec: string, field = 'fault'): FaultChange {
  const m = /^([^:\s]+):([^:\s]+)$/.exec(spec);
  if (!m) {
    throw new SpError('SP_ERR_VALIDATION', { field, reason: `"${spec}" is not TARGET:FAULT (e.g. chiller:compressor_failure)` });
  }
  const r = FaultName.safeParse(m[2]);
  if (!r.success) {
    throw new SpError('SP_ERR_VALIDATION', { field, reason: `unknown fault "${m[2]}" (faults: ${FAULTS.join(', ')})` });
  }
  return { target: m[1]!, fault: r.data, active: true };
}
