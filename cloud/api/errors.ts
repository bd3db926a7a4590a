import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { isSpError, zodIssuesToDetails } from '../../protocols/errors.ts';

// Every error leaves the API as {code, message, details:[{field, reason}]}: validation failures
// are 400 SP_ERR_VALIDATION naming the field (e.g. "querystring.sensor"), coded errors keep
// their catalogue status, and anything unexpected is a 500 without internals. A value the
// database refuses as data (SQLSTATE class 22: too long, out of range, bad characters) is the
// request's fault, not ours: 400 with a coded reason (the schemas should have caught it first).

/** SQLSTATE class 22 "data exception", by what a caller can do about it */
const DATA_EXCEPTIONS: Record<string, string> = {
  '22001': 'a text value is longer than its column holds',
  '22003': 'a number is out of the range its column holds',
  '22007': 'a date or time is not valid',
  '22008': 'a date or time is out of range',
  '22021': 'a text value contains characters that cannot be stored (e.g. NUL)',
  '22P02': 'a value is not in the form its column expects',
  '22P05': 'a text value contains characters that cannot be stored (e.g. \\u0000)',
};

/** a database error of class 22 (pg and PGlite both carry the SQLSTATE as .code and a severity) */
export function dataExceptionReason(err: unknown): string | undefined {
  const e = err as { code?: unknown; severity?: unknown };
  if (typeof e?.code !== 'string' || !/^22[0-9A-Z]{3}$/.test(e.code) || typeof e.severity !== 'string') return undefined;
  return `${DATA_EXCEPTIONS[e.code] ?? 'a value does not fit its column'} (SQLSTATE ${e.code})`;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const details = err.validation.map((v) => ({
        field: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        reason: v.message ?? 'invalid',
      }));
      return reply.code(400).send({
        code: 'SP_ERR_VALIDATION',
        message: `invalid ${where}: ${details.map((d) => `${d.field}: ${d.reason}`).join('; ')}`,
        details,
      });
    }
    if (isSpError(err)) return reply.code(err.status).send(err.toJSON());
    // a domain function's own parse of its input (the route schema is usually the same one)
    if (err instanceof ZodError) {
      const details = zodIssuesToDetails(err.issues).slice(0, 20);
      return reply.code(400).send({ code: 'SP_ERR_VALIDATION', message: details.map((d) => `${d.field}: ${d.reason}`).join('; '), details });
    }
    const data = dataExceptionReason(err);
    if (data) {
      req.log.warn({ err }, 'request refused by the database as bad data');
      return reply.code(400).send({ code: 'SP_ERR_VALIDATION', message: `invalid request: ${data}`, details: [{ field: 'request', reason: data }] });
    }
    if (err.statusCode && err.statusCode < 500) {
      // 413: a body over fastify's bodyLimit (README "Limits")
      return reply.code(err.statusCode).send({ code: err.statusCode === 413 ? 'SP_ERR_TOO_LARGE' : 'SP_ERR_VALIDATION', message: err.message, details: [{ field: 'request', reason: err.message }] });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ code: 'SP_ERR_INTERNAL', message: 'internal error; see the cloud log', details: [] });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ code: 'SP_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}`, details: [{ field: 'url', reason: 'unknown route' }] }));
}
