import type { FastifyInstance } from 'fastify';
import { SpError, type ErrorDetail } from '../../protocols/errors.ts';
import { textProblem } from './fields.ts';

// The net under every route's schema: no string anywhere in a body, query or path parameter
// (keys included) may carry NUL, C0 control characters other than tab and line breaks, or lone
// UTF-16 surrogates — PostgreSQL cannot store them, so they would end as a 500 deep inside a
// query. Runs after authentication (a stranger still gets 401 first) and before the schema, and
// answers 400 SP_ERR_VALIDATION naming the field. Each schema adds its own limits on top
// (cloud/api/fields.ts).

const MAX_DEPTH = 32;

function scan(v: unknown, path: string, out: ErrorDetail[], depth: number): void {
  if (out.length >= 10) return;
  if (typeof v === 'string') {
    const why = textProblem(v, true);
    if (why) out.push({ field: path, reason: why });
    return;
  }
  if (!v || typeof v !== 'object') return;
  if (depth > MAX_DEPTH) {
    out.push({ field: path, reason: `nested deeper than ${MAX_DEPTH} levels` });
    return;
  }
  for (const [k, child] of Object.entries(v)) {
    const keyWhy = textProblem(k, false);
    if (keyWhy) out.push({ field: `${path}.${JSON.stringify(k)}`, reason: `key ${keyWhy}` });
    scan(child, `${path}.${k}`, out, depth + 1);
  }
}

/** the offending fields of a request's body, querystring and params (empty when clean) */
export function badTextFields(req: { body?: unknown; query?: unknown; params?: unknown }): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  scan(req.params, 'params', out, 0);
  scan(req.query, 'querystring', out, 0);
  scan(req.body, 'body', out, 0);
  return out;
}

export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const bad = badTextFields(req);
    if (bad.length) throw new SpError('SP_ERR_VALIDATION', bad);
  });
}
