import { SpError, zodIssuesToDetails } from '../errors.ts';
import { UplinkBatch } from './contract.ts';
import { fastReadings } from './fast-readings.ts';

// The cloud-side parser of an uplink frame, kept pure (bytes in, batch or coded error out) so it
// can be fuzzed. A rejected frame still yields its stream/seq when they could be read, so the
// sender can be told which batch will never be accepted.

export type ParsedUplink =
  | { ok: true; batch: UplinkBatch }
  | { ok: false; error: SpError; stream?: string; seq?: number };

export function parseUplinkBatch(payload: Buffer | string, topicGateway: string): ParsedUplink {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (e) {
    return { ok: false, error: new SpError('SP_ERR_UPLINK_BATCH', { field: 'payload', reason: `not JSON: ${(e as Error).message}` }) };
  }
  const j = (json && typeof json === 'object' ? json : {}) as { stream?: unknown; seq?: unknown };
  const ids = {
    ...(typeof j.stream === 'string' ? { stream: j.stream } : {}),
    ...(typeof j.seq === 'number' && Number.isInteger(j.seq) && j.seq > 0 ? { seq: j.seq } : {}),
  };
  const parsed = parseBatch(json);
  if (!parsed.success) {
    return { ok: false, error: new SpError('SP_ERR_UPLINK_BATCH', zodIssuesToDetails(parsed.error.issues).slice(0, 20)), ...ids };
  }
  if (parsed.data.gateway !== topicGateway) {
    return {
      ok: false,
      error: new SpError('SP_ERR_UPLINK_BATCH', { field: 'gateway', reason: `"${parsed.data.gateway}" does not match the topic's gateway "${topicGateway}"` }),
      ...ids,
    };
  }
  return { ok: true, batch: parsed.data };
}

/** zod on everything but the readings, which fast-readings.ts checks; any doubt → zod on all */
function parseBatch(json: unknown): ReturnType<typeof UplinkBatch.safeParse> {
  const readings = json && typeof json === 'object' ? fastReadings((json as { readings?: unknown }).readings) : undefined;
  if (readings) {
    const rest = UplinkBatch.safeParse({ ...(json as object), readings: [] });
    if (rest.success) return { ...rest, data: { ...rest.data, readings } };
  }
  return UplinkBatch.safeParse(json);
}
