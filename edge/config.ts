import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { SpError, zodIssuesToDetails, type ErrorDetail } from '../protocols/errors.ts';
import { crossReferenceIssues, EdgeConfig } from './config.schema.ts';

// Loads the gateway's one config file: parse (YAML or JSON) → substitute ${ENV} in strings →
// validate with the zod schema → deep-freeze. Every problem is listed at once with its dotted
// path (fastify initial-config-validation style), so an installer fixes the file in one pass.

export type { EdgeConfig } from './config.schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Reads, validates and freezes the config at `path`. Throws SpError('SP_ERR_CONFIG') listing every issue. */
export async function loadEdgeConfig(path: string, env: Env = process.env): Promise<EdgeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'config file not found'
      : code === 'EISDIR' ? 'is a directory, expected a config file'
      : code === 'EACCES' ? 'config file is not readable (permission denied)'
      : `cannot read config file (${code ?? (e as Error).message})`;
    throw new SpError('SP_ERR_CONFIG', { field: path, reason });
  }
  return parseEdgeConfig(parseConfigText(text, path), env);
}

/** Validates an already-parsed config object (env substitution included); the result is deep-frozen. */
export function parseEdgeConfig(obj: unknown, env: Env = process.env): EdgeConfig {
  if (obj === null || obj === undefined) {
    throw new SpError('SP_ERR_CONFIG', { field: '(root)', reason: 'config is empty' });
  }
  const envIssues: ErrorDetail[] = [];
  const substituted = substituteEnv(obj, [], env, envIssues);
  const result = EdgeConfig.safeParse(substituted);
  // A string with an unresolved ${VAR} usually fails the schema too (e.g. the URL pattern);
  // that second message says nothing new, so only the env issue is kept for that path.
  const envFields = new Set(envIssues.map((d) => d.field));
  // When fields are invalid zod skips the cross-reference checks; run them on the raw input so
  // every mistake is listed in one go.
  const crossIssues = result.success ? [] : zodIssuesToDetails(crossReferenceIssues(substituted));
  const schemaIssues = result.success ? [] : [...zodIssuesToDetails(result.error.issues), ...crossIssues].filter((d) => !envFields.has(d.field));
  const seen = new Set<string>();
  const details = [...envIssues, ...schemaIssues].filter((d) => {
    const key = `${d.field}\u0000${d.reason}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
  if (details.length > 0 || !result.success) throw new SpError('SP_ERR_CONFIG', details);
  return deepFreeze(result.data);
}

/** Parses YAML (the default; YAML 1.2 also reads JSON) or, for `.json` files, strict JSON. */
export function parseConfigText(text: string, path = 'config'): unknown {
  const file = basename(path);
  if (extname(path).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const where = pos ? lineCol(text, Number(pos[1])) : undefined;
      throw new SpError('SP_ERR_CONFIG', {
        field: where ? `${file}:${where.line}:${where.col}` : file,
        reason: `JSON syntax error: ${msg.replace(/ in JSON at position \d+.*$/s, '')}`,
      });
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpError('SP_ERR_CONFIG', doc.errors.map((err) => {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      return { field: `${file}:${line}:${col}`, reason: `YAML syntax error: ${err.message}` };
    }));
  }
  return doc.toJS();
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

// `${NAME}` or `${NAME:-default}` (default used when NAME is unset or empty, as in POSIX sh);
// `$${` is a literal `${`. Only string VALUES are touched, never keys, so a number like a port
// stays a number and an env var cannot rename a field.
const REF = /\$\$\{|\$\{([^}]*)(\})?/g;
const REF_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

function substituteEnv(value: unknown, path: PropertyKey[], env: Env, issues: ErrorDetail[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const field = path.length ? path.map(String).join('.') : '(root)';
    return value.replace(REF, (match, body: string | undefined, close: string | undefined) => {
      if (match === '$${') return '${';
      const m = close ? REF_BODY.exec(body ?? '') : null;
      if (!m) {
        issues.push({ field, reason: `malformed reference "${match}": use \${NAME} or \${NAME:-default}` });
        return match;
      }
      const [, name, fallback] = m as unknown as [string, string, string | undefined];
      const v = env[name];
      if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
      if (v === undefined) {
        issues.push({ field, reason: `environment variable ${name} is not set (or give a default: \${${name}:-value})` });
        return match;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], env, issues));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, [...path, k], env, issues);
    return out;
  }
  return value;
}

/** Freezes every nested object and array: the config is read by many pipelines and must not drift. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
