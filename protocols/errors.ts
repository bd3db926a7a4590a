// The catalogue of coded errors. Every rejection anywhere in stockpulse carries one of
// these codes, the field it is about and a reason a person can act on (fastify lib/errors.js style).
// docs/errors.md says, for each, where it arises and what to do; tests/protocols/error-catalogue.test.ts
// fails when a code here is missing there, or when source uses a code that is not here.

export const ERROR_CATALOGUE = {
  SP_ERR_VALIDATION: { status: 400, title: 'request or message failed validation' },
  SP_ERR_CONFIG: { status: 500, title: 'configuration is invalid' },
  SP_ERR_DECODE: { status: 422, title: 'frame could not be decoded' },
  SP_ERR_MODBUS_MAP: { status: 400, title: 'Modbus register map is invalid' },
  SP_ERR_MODBUS_REGISTERS: { status: 422, title: 'Modbus registers do not fit the map' },
  SP_ERR_UNKNOWN_PROTOCOL: { status: 400, title: 'no decoder for this protocol' },
  SP_ERR_UPLINK_BATCH: { status: 422, title: 'uplink batch rejected' },
  SP_ERR_TOO_LARGE: { status: 413, title: 'larger than its size limit (frame, line, batch or request)' },
  SP_ERR_GATEWAY_UNKNOWN: { status: 403, title: 'the gateway is not registered, or its credential was revoked' },
  SP_ERR_GATEWAY_REFUSED: { status: 403, title: 'a gateway spoke for something it does not own (zone, sensor, location, document) or changed a zone limit' },
  SP_ERR_UPLINK_SEQ_CONFLICT: { status: 409, title: 'another batch with different content already holds this stream and seq' },
  SP_ERR_UPLINK_STREAM_REVOKED: { status: 403, title: 'the stream was opened under a gateway credential that has since been revoked' },
  SP_ERR_NOT_FOUND: { status: 404, title: 'not found' },
  SP_ERR_CONFLICT: { status: 409, title: 'conflicts with the current state' },
  SP_ERR_LOT_EXPIRED: { status: 409, title: 'the lot is past its expiry date and cannot be picked or shipped' },
  SP_ERR_ARCHIVED: { status: 409, title: 'the item, supplier, customer or location is archived: kept for history, refused for new documents and movements' },
  SP_ERR_RESERVED: { status: 409, title: 'the movement would take stock that reservations hold for others' },
  SP_ERR_UNAUTHENTICATED: { status: 401, title: 'no valid API token' },
  SP_ERR_FORBIDDEN: { status: 403, title: 'the token\'s role may not do this' },
  SP_ERR_DEVICE: { status: 502, title: 'device did not answer as expected' },
  SP_ERR_DELIVERY: { status: 502, title: 'a notification or local alarm target (webhook, e-mail, chat robot, MQTT topic) did not take the message' },
  SP_ERR_DB: { status: 503, title: 'database unavailable' },
  SP_ERR_FONT_MISSING: { status: 503, title: 'a font the PDF export needs is not installed on the cloud host' },
  SP_ERR_INPUT: { status: 400, title: 'input file is invalid' },
  SP_ERR_INTERNAL: { status: 500, title: 'unexpected internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorDetail {
  /** dotted path of the offending field, e.g. `zones.0.profile.high` or `registers` */
  field: string;
  reason: string;
}

export class SpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, details: ErrorDetail[] | ErrorDetail, message?: string) {
    const list = Array.isArray(details) ? details : [details];
    super(message ?? `${code}: ${list.map((d) => `${d.field}: ${d.reason}`).join('; ')}`);
    this.name = 'SpError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = list;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetail[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isSpError(e: unknown): e is SpError {
  return e instanceof SpError;
}

/** Turns zod issues into our details: one entry per issue, path joined with dots. */
export function zodIssuesToDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): ErrorDetail[] {
  return issues.map((i) => ({
    field: i.path.length ? i.path.map(String).join('.') : '(root)',
    reason: i.message,
  }));
}
