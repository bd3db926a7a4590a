import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SpError } from '../../protocols/errors.ts';
import type { Db, Queryable } from '../db/engine.ts';
import { hashToken } from '../auth/tokens.ts';

// The gateway registry (migration 0012): each gateway has an id (its MQTT username and the
// `{gateway}` of its topics), a site, a credential (its MQTT password) and what it owns.
//
// The credential is 256 random bits shown once, stored like API tokens (cloud/auth/tokens.ts):
// its SHA-256, which is enough for a secret nobody can guess. A Mosquitto `$7$` hash
// (PBKDF2-SHA512, the format mosquitto_passwd writes) is kept beside it, because the password
// file for a production broker can only be written from a hash made while the secret was known.
//
// Ownership: zones and sensors may be listed at registration; anything nobody owns yet is
// claimed by the first registered gateway that names it (trust on first use, gateway-policy.ts);
// nothing owned by one gateway is ever taken by another (an admin revokes and re-adds instead).

/** what a gateway id may contain: it is an MQTT topic level, a Mosquitto username and an ACL `%u` */
export const GATEWAY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** the cloud's own broker login (never a gateway id, so `pattern … %u` never gives it a gateway's topics) */
export const CLOUD_BROKER_USER = 'stockpulse-cloud';
const PREFIX = 'spg_';

export interface GatewayInfo {
  id: string;
  site: string | null;
  /** first characters of the credential, to tell credentials apart (not a secret) */
  prefix: string;
  /** how many credentials this id has had; streams opened under an older one are refused */
  generation: number;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
  note: string | null;
  zones: string[];
  sensors: string[];
}

export function parseGatewayId(id: string | undefined, field = 'id'): string {
  if (!id || !GATEWAY_ID.test(id)) throw new SpError('SP_ERR_VALIDATION', { field, reason: `a gateway id is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit (got "${id ?? ''}")` });
  if (id === CLOUD_BROKER_USER) throw new SpError('SP_ERR_VALIDATION', { field, reason: `"${CLOUD_BROKER_USER}" is the cloud's own broker login` });
  return id;
}

/** Mosquitto's password-file hash (`$7$`: PBKDF2-SHA512, 101 iterations, 12-byte salt — mosquitto_passwd's default). */
export function mosquittoHash(secret: string, salt = randomBytes(12), iterations = 101): string {
  const key = pbkdf2Sync(secret, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

type Row = Record<string, unknown>;
const ms = (v: unknown) => (v ? new Date(v as string).getTime() : null);

async function infoOf(q: Queryable, r: Row): Promise<GatewayInfo> {
  const claims = await q.query<{ kind: string; id: string }>('SELECT kind, id FROM gateway_claims WHERE gateway = $1 ORDER BY kind, id', [r.id]);
  return {
    id: r.id as string, site: (r.site as string | null) ?? null, prefix: r.prefix as string, generation: Number(r.generation),
    createdAt: ms(r.created_at)!, createdBy: r.created_by as string, revokedAt: ms(r.revoked_at), note: (r.note as string | null) ?? null,
    zones: claims.filter((c) => c.kind === 'zone').map((c) => c.id), sensors: claims.filter((c) => c.kind === 'sensor').map((c) => c.id),
  };
}

export interface AddGateway {
  id: string;
  site?: string;
  /** zones and sensors it owns from the start (others it may claim on first use) */
  zones?: readonly string[];
  sensors?: readonly string[];
  note?: string;
  createdBy?: string;
}

/**
 * Registers a gateway, or gives a revoked one a new credential (generation + 1). The returned
 * credential is the only time it exists outside the caller.
 */
export async function addGateway(db: Db, a: AddGateway): Promise<{ credential: string; info: GatewayInfo }> {
  const id = parseGatewayId(a.id);
  const site = a.site?.trim() || null;
  const credential = PREFIX + randomBytes(32).toString('base64url');
  return db.tx(async (q) => {
    const [old] = await q.query<Row>('SELECT * FROM gateway_registry WHERE id = $1 FOR UPDATE', [id]);
    if (old && !old.revoked_at) throw new SpError('SP_ERR_CONFLICT', { field: 'id', reason: `gateway "${id}" is registered; revoke it first to issue a new credential` });
    const values = [id, site, hashToken(credential), mosquittoHash(credential), credential.slice(0, 8), a.createdBy ?? 'cli', a.note ?? null];
    const [r] = old
      ? await q.query<Row>(
        `UPDATE gateway_registry SET site = coalesce($2, site), credential_hash = $3, broker_hash = $4, prefix = $5, created_by = $6,
           note = coalesce($7, note), generation = generation + 1, revoked_at = NULL, created_at = now() WHERE id = $1 RETURNING *`,
        [id, site, values[2], values[3], values[4], values[5], values[6]])
      : await q.query<Row>(
        `INSERT INTO gateway_registry (id, site, credential_hash, broker_hash, prefix, created_by, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`, values);
    for (const [kind, ids] of [['zone', a.zones ?? []], ['sensor', a.sensors ?? []]] as const) {
      for (const thing of ids) {
        await q.query(`INSERT INTO gateway_claims (kind, id, gateway, how) VALUES ($1, $2, $3, 'registered') ON CONFLICT DO NOTHING`, [kind, thing, id]);
        const [owner] = await q.query<{ gateway: string }>('SELECT gateway FROM gateway_claims WHERE kind = $1 AND id = $2', [kind, thing]);
        if (owner!.gateway !== id) throw new SpError('SP_ERR_CONFLICT', { field: `${kind}s`, reason: `${kind} "${thing}" belongs to gateway "${owner!.gateway}"` });
      }
    }
    return { credential, info: await infoOf(q, r!) };
  });
}

export async function listGateways(db: Db): Promise<GatewayInfo[]> {
  const rows = await db.query<Row>('SELECT * FROM gateway_registry ORDER BY id');
  return Promise.all(rows.map((r) => infoOf(db, r)));
}

export async function getGateway(q: Queryable, id: string): Promise<GatewayInfo | undefined> {
  const [r] = await q.query<Row>('SELECT * FROM gateway_registry WHERE id = $1', [id]);
  return r ? infoOf(q, r) : undefined;
}

/** Revokes the gateway's credential: its batches are refused and its broker login fails from now on. Its claims stay. */
export async function revokeGateway(db: Db, id: string): Promise<GatewayInfo> {
  const [r] = await db.query<Row>('UPDATE gateway_registry SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *', [id]);
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'id', reason: `no gateway "${id}" (see: stockpulse gateway list)` });
  return infoOf(db, r);
}

/** The live gateway whose credential this is, or undefined (unknown id, wrong secret, revoked). Constant-time compare. */
export async function checkGatewayCredential(q: Queryable, id: string, credential: string | Buffer | undefined): Promise<GatewayInfo | undefined> {
  const [r] = await q.query<Row>('SELECT * FROM gateway_registry WHERE id = $1 AND revoked_at IS NULL', [id]);
  const given = Buffer.from(hashToken(credential === undefined ? '' : credential.toString()), 'hex');
  const stored = Buffer.from(typeof r?.credential_hash === 'string' ? r.credential_hash : '0'.repeat(64), 'hex');
  if (!r || credential === undefined || given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
  return infoOf(q, r);
}

/** Live gateways' Mosquitto password lines (`id:$7$…`). */
export async function mosquittoPasswordLines(db: Db): Promise<string[]> {
  const rows = await db.query<{ id: string; broker_hash: string }>('SELECT id, broker_hash FROM gateway_registry WHERE revoked_at IS NULL ORDER BY id');
  return rows.map((r) => `${r.id}:${r.broker_hash}`);
}
