import { createHash, randomBytes } from 'node:crypto';
import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { ROLES, type Role } from './permissions.ts';

// API tokens: a random secret shown once; the database keeps only its SHA-256 (a token is
// 256 random bits, so a fast hash is enough — there is nothing to brute-force). Looked-up
// tokens are cached for a few seconds so a busy client does not cost a query per request.

export interface TokenInfo { id: number; name: string; role: Role; prefix: string; createdAt: number; createdBy: string; revokedAt: number | null }
export interface Principal { tokenId: number; name: string; role: Role }

const PREFIX = 'sp_';
const CACHE_MS = 5_000;
const cache = new Map<string, { who: Principal | null; until: number }>();

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function parseRole(role: string | undefined, field = 'role'): Role {
  if (!ROLES.includes(role as Role)) throw new SpError('SP_ERR_VALIDATION', { field, reason: `role must be one of ${ROLES.join(', ')} (got "${role ?? ''}")` });
  return role as Role;
}

/** Creates a token; the returned secret is the only time it exists outside the caller. */
export async function createApiToken(db: Db, o: { role: string; name: string; createdBy?: string }): Promise<{ token: string; info: TokenInfo }> {
  const role = parseRole(o.role);
  const name = o.name.trim();
  if (!name) throw new SpError('SP_ERR_VALIDATION', { field: 'name', reason: 'give the token a name (who or what uses it)' });
  const token = PREFIX + randomBytes(32).toString('base64url');
  const [r] = await db.query<Record<string, unknown>>(
    'INSERT INTO api_tokens (name, role, token_hash, prefix, created_by) VALUES ($1,$2,$3,$4,$5) RETURNING *',
    [name, role, hashToken(token), token.slice(0, 8), o.createdBy ?? 'cli']);
  return { token, info: infoFromRow(r!) };
}

const infoFromRow = (r: Record<string, unknown>): TokenInfo => ({
  id: Number(r.id), name: r.name as string, role: r.role as Role, prefix: r.prefix as string,
  createdAt: new Date(r.created_at as string).getTime(), createdBy: r.created_by as string,
  revokedAt: r.revoked_at ? new Date(r.revoked_at as string).getTime() : null,
});

export async function listApiTokens(db: Db): Promise<TokenInfo[]> {
  return (await db.query<Record<string, unknown>>('SELECT * FROM api_tokens ORDER BY id')).map(infoFromRow);
}

export async function revokeApiToken(db: Db, id: number): Promise<TokenInfo> {
  const [r] = await db.query<Record<string, unknown>>('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *', [id]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'id', reason: `no token ${id}` });
  cache.clear();
  return infoFromRow(r);
}

/** Revokes every live token of that name (the demo replaces its token at each start). */
export async function revokeApiTokensNamed(db: Db, name: string): Promise<number> {
  const rows = await db.query('UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id', [name]);
  cache.clear();
  return rows.length;
}

/** The principal behind a bearer token, or null when unknown or revoked. */
export async function authenticate(db: Db, token: string): Promise<Principal | null> {
  const key = hashToken(token);
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.who;
  const [r] = await db.query<{ id: string; name: string; role: Role }>(
    'SELECT id, name, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [key]);
  const who = r ? { tokenId: Number(r.id), name: r.name, role: r.role } : null;
  if (cache.size > 1000) cache.clear();
  cache.set(key, { who, until: Date.now() + CACHE_MS });
  return who;
}
