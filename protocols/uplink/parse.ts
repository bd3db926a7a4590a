import { SpError, zodIssuesToDetails } from '../errors.ts';
import { UplinkBatch } from './contract.ts';
import { fastReadings } from './fast-readings.ts';
import { parseFrameJson } from './frame-json.ts';

// The cloud-side parser of an uplink frame, kept pure (bytes in, batch or coded error out) so it
// can be fuzzed. A rejected frame still yields its stream/seq when they could be read, so the
// sender can be told which batch will never be accepted.

export type ParsedUplink =
  | { ok: true; batch: UplinkBatch }
  | { ok: false; error: SpError; stream?: string; seq?: number };

/**
 * What the cloud takes in one uplink frame. The edge sends at most batchMaxItems (default 2000,
 * and its config refuses more than maxItems) entries per batch — readings ~100 bytes each — so
 * 4 MiB leaves room; anything bigger is refused before it is parsed (a 100 MB frame must not stall the
 * ingest for seconds). README "Limits".
 */
export const UPLINK_LIMITS = { maxBytes: 4 * 1024 * 1024, maxItems: 5000 } as const;

/**
 * The frame's stream and seq read from its first bytes (the edge writes them first), so an
 * oversized batch can still be acked `rejected` and leave the gateway's queue.
 */
export function peekStreamSeq(head: string): { stream?: string; seq?: number } {
  const stream = /"stream"\s*:\s*"([^"\\]{1,200})"/.exec(head)?.[1];
  const seq = Number(/"seq"\s*:\s*(\d{1,15})\b/.exec(head)?.[1]);
  return { ...(stream ? { stream } : {}), ...(Number.isSafeInteger(seq) && seq > 0 ? { seq } : {}) };
}

/** an over-the-limit frame, refused without parsing it; undefined when it is within the byte limit */
export function checkUplinkSize(payload: Buffer | string, limits = UPLINK_LIMITS): ParsedUplink | undefined {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (bytes <= limits.maxBytes) return undefined;
  const head = (typeof payload === 'string' ? payload.slice(0, 4096) : payload.subarray(0, 4096).toString('utf8'));
  return {
    ok: false,
    error: new SpError('SP_ERR_TOO_LARGE', { field: 'payload', reason: `a batch of ${bytes} bytes is over the ${limits.maxBytes}-byte limit` }),
    ...peekStreamSeq(head),
  };
}

export function parseUplinkBatch(payload: Buffer | string, topicGateway: string, limits = UPLINK_LIMITS): ParsedUplink {
  const tooLarge = checkUplinkSize(payload, limits);
  if (tooLarge) return tooLarge;
  let json: unknown;
  try {
    json = typeof payload === 'string' ? JSON.parse(payload) : parseFrameJson(payload);
  } catch (e) {
    return { ok: false, error: new SpError('SP_ERR_UPLINK_BATCH', { field: 'payload', reason: `not JSON: ${(e as Error).message}` }) };
  }
  const j = (json && typeof json === 'object' ? json : {}) as { stream?: unknown; seq?: unknown };
  const ids = {
    ...(typeof j.stream === 'string' ? { stream: j.stream } : {}),
    ...(typeof j.seq === 'number' && Number.isInteger(j.seq) && j.seq > 0 ? { seq: j.seq } : {}),
  };
  const items = countItems(json);
  if (items > limits.maxItems) {
    return { ok: false, error: new SpError('SP_ERR_TOO_LARGE', { field: 'payload', reason: `a batch of ${items} entries is over the ${limits.maxItems}-entry limit` }), ...ids };
  }
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

/** entries in a batch: the lengths of its top-level arrays (readings, alerts, devices, movements, …) */
function countItems(json: unknown): number {
  if (!json || typeof json !== 'object') return 0;
  let n = 0;
  for (const v of Object.values(json)) if (Array.isArray(v)) n += v.length;
  return n;
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
