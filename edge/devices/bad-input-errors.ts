import type { SpError } from '../../protocols/errors.ts';
import type { DriverContext } from './driver-context.ts';

/**
 * A driver's onError for scales and OPC UA servers: every failure is logged (debug: the
 * driver's status carries it for health), and what the device SENT that could not be used —
 * a line that does not decode, one over the size cap — is kept as a dead letter.
 */
export const badInputErrors = (ctx: Pick<DriverContext, 'log' | 'deadLetters'>) => (deviceId: string, err: SpError, sensor?: string): void => {
  ctx.log.debug({ device: deviceId, sensor, code: err.code }, err.message);
  if (err.code === 'SP_ERR_DECODE' || err.code === 'SP_ERR_TOO_LARGE') ctx.deadLetters.add({ source: deviceId, code: err.code, reason: err.message, payload: sensor ? `sensor ${sensor}` : '' });
};
