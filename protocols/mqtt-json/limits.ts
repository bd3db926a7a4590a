import { SpError } from '../errors.ts';

// The largest device frame a driver decodes. A sensor's JSON is a few hundred bytes; 64 KiB
// leaves room for chatty firmware and still keeps one misbehaving device from making the
// gateway parse megabytes (the embedded broker's own packet cap is larger: it also carries the
// uplink). README "Limits".
export const MAX_DEVICE_FRAME_BYTES = 64 * 1024;

/** a coded refusal for a frame over the cap, or undefined */
export function frameTooLarge(payload: Uint8Array, max = MAX_DEVICE_FRAME_BYTES): SpError | undefined {
  if (payload.length <= max) return undefined;
  return new SpError('SP_ERR_TOO_LARGE', { field: 'payload', reason: `a frame of ${payload.length} bytes is over the ${max}-byte limit; not decoded` });
}
