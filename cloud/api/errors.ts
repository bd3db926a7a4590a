import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isSpError } from '../../protocols/errors.ts';

// Every error leaves the API as {code, message, details:[{field, reason}]}: validation failures
// are 400 SP_ERR_VALIDATION naming the field (e.g. "querystring.sensor"), coded errors keep
// their catalogue status, and anything unexpected is a 500 without internals.

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
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ code: 'SP_ERR_VALIDATION', message: err.message, details: [{ field: 'request', reason: err.message }] });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ code: 'SP_ERR_INTERNAL', message: 'internal error; see the cloud log', details: [] });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ code: 'SP_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}`, details: [{ field: 'url', reason: 'unknown route' }] }));
}
