import { z } from 'zod';
import { Name } from '../api/fields.ts';
import { SpError } from '../../protocols/errors.ts';
import { ROLES } from '../auth/permissions.ts';
import { LOCALES, type Locale } from '../auth/preferences.ts';
import type { Queryable } from '../db/engine.ts';
import { MASK, redactAddress } from './redact.ts';

// Contacts (people with their channel addresses) and routes (which alerts go to whom, in which
// escalation order). Stored in notify_contacts / notify_routes (migration 0011), edited through
// /api/notify/* or a seed file (seed.ts).

export const CHANNEL_TYPES = ['email', 'wecom', 'dingtalk', 'slack', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

const Url = z.string().max(2000).url('must be a URL (http:// or https://)').refine((s) => /^https?:\/\//.test(s), 'must be http:// or https://');

/** one address of a contact; a contact has at most one per type */
export const ChannelAddress = z.discriminatedUnion('type', [
  z.object({ type: z.literal('email'), address: z.string().email('must be an e-mail address') }),
  // the group robot's webhook URL including ?key=…; userId enables a <@userid> mention
  z.object({ type: z.literal('wecom'), address: Url, userId: Name(100).optional() }),
  // the robot's webhook URL including ?access_token=…; secret = the "加签" signing secret (SEC…)
  z.object({ type: z.literal('dingtalk'), address: Url, secret: Name(200).optional(), format: z.enum(['markdown', 'text']).default('markdown') }),
  // an incoming-webhook URL; userId (U…) enables a <@U…> mention
  z.object({ type: z.literal('slack'), address: Url, userId: Name(100).optional() }),
  z.object({ type: z.literal('webhook'), address: Url }),
]);
export type ChannelAddress = z.infer<typeof ChannelAddress>;

export const ContactInput = z.object({
  name: Name(100),
  role: z.enum(ROLES),
  mobile: z.string().regex(/^\+?[0-9][0-9 -]{4,19}$/, 'must be a phone number').optional().nullable(),
  channels: z.array(ChannelAddress).max(CHANNEL_TYPES.length).default([])
    .refine((l) => new Set(l.map((c) => c.type)).size === l.length, 'at most one address per channel type'),
  active: z.boolean().default(true),
  /** the language of the words the notifier writes around an alert (migration 0020) */
  locale: z.enum(LOCALES).default('en'),
});
/** what the API validated; locale may be left out by code that builds a contact itself (English) */
export type ContactInput = Omit<z.infer<typeof ContactInput>, 'locale'> & { locale?: Locale };

export const RouteInput = z.object({
  name: Name(100),
  kind: Name(50).optional().nullable(),
  zone: Name(100).optional().nullable(),
  severity: z.enum(['info', 'warning', 'critical']).optional().nullable(),
  role: z.enum(ROLES).optional().nullable(),
  contactIds: z.array(z.number().int().positive()).max(50).default([]),
  channels: z.array(z.enum(CHANNEL_TYPES)).min(1).optional().nullable(),
  escalateAfterMin: z.number().int().positive().max(10_080).optional().nullable(),
  repeatEveryMin: z.number().int().positive().max(10_080).optional().nullable(),
  enabled: z.boolean().default(true),
}).refine((r) => r.contactIds.length > 0 || r.role, { message: 'a route needs contactIds or a role to notify', path: ['contactIds'] });
export type RouteInput = z.infer<typeof RouteInput>;

export interface Contact {
  id: number; name: string; role: string; mobile: string | null; channels: ChannelAddress[]; active: boolean; locale: Locale;
}
export interface Route {
  id: number; name: string; kind: string | null; zone: string | null; severity: string | null; role: string | null;
  contactIds: number[]; channels: ChannelType[] | null; escalateAfterMin: number | null; repeatEveryMin: number | null; enabled: boolean;
}

/** what the API shows: addresses with their credentials masked, secrets as *** */
export function publicContact(c: Contact) {
  return {
    ...c,
    channels: c.channels.map((ch) => ({
      ...ch,
      address: redactAddress(ch.type, ch.address),
      ...('secret' in ch && ch.secret ? { secret: MASK } : {}),
    })),
  };
}

const toContact = (r: Record<string, any>): Contact => ({
  id: Number(r.id), name: r.name, role: r.role, mobile: r.mobile ?? null, channels: r.channels ?? [], active: r.active, locale: r.locale ?? 'en',
});
const toRoute = (r: Record<string, any>): Route => ({
  id: Number(r.id), name: r.name, kind: r.kind, zone: r.zone, severity: r.severity, role: r.role,
  contactIds: (r.contact_ids ?? []).map(Number), channels: r.channels ?? null,
  escalateAfterMin: r.escalate_after_min, repeatEveryMin: r.repeat_every_min, enabled: r.enabled,
});

export async function listContacts(q: Queryable): Promise<Contact[]> {
  return (await q.query('SELECT * FROM notify_contacts ORDER BY id')).map(toContact);
}

export async function getContact(q: Queryable, id: number): Promise<Contact> {
  const r = (await q.query('SELECT * FROM notify_contacts WHERE id = $1', [id]))[0];
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no contact with id ${id}` });
  return toContact(r);
}

/**
 * An edited contact sent back as the API showed it carries masked addresses/secrets: keep the
 * stored credential of that channel type instead of saving "***".
 */
function keepStoredSecrets(input: ChannelAddress[], stored: ChannelAddress[]): ChannelAddress[] {
  return input.map((ch) => {
    const old = stored.find((s) => s.type === ch.type);
    if (!old) return ch;
    const next = { ...ch } as Record<string, unknown>;
    if (ch.address.includes(MASK) && redactAddress(ch.type, old.address) === ch.address) next.address = old.address;
    if ('secret' in ch && ch.secret === MASK && 'secret' in old) next.secret = old.secret;
    return next as ChannelAddress;
  });
}

function assertNoMask(channels: ChannelAddress[]): void {
  channels.forEach((ch, i) => {
    if (ch.address.includes(MASK)) throw new SpError('SP_ERR_VALIDATION', { field: `body.channels.${i}.address`, reason: 'send the full address (a masked one can only be kept on an existing contact of the same channel type)' });
    if ('secret' in ch && ch.secret === MASK) throw new SpError('SP_ERR_VALIDATION', { field: `body.channels.${i}.secret`, reason: 'send the signing secret itself' });
  });
}

const unique = (e: unknown, what: string, name: string): never => {
  if ((e as { code?: string }).code === '23505') throw new SpError('SP_ERR_CONFLICT', { field: 'body.name', reason: `a ${what} named "${name}" exists` });
  throw e;
};

export async function createContact(q: Queryable, c: ContactInput): Promise<Contact> {
  assertNoMask(c.channels);
  const rows = await q.query(
    `INSERT INTO notify_contacts (name, role, mobile, channels, active, locale) VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING *`,
    [c.name, c.role, c.mobile ?? null, JSON.stringify(c.channels), c.active, c.locale ?? 'en']).catch((e) => unique(e, 'contact', c.name));
  return toContact(rows[0]!);
}

export async function updateContact(q: Queryable, id: number, c: ContactInput): Promise<Contact> {
  const before = await getContact(q, id);
  const channels = keepStoredSecrets(c.channels, before.channels);
  assertNoMask(channels);
  const rows = await q.query(
    `UPDATE notify_contacts SET name = $2, role = $3, mobile = $4, channels = $5::jsonb, active = $6, locale = $7, updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, c.name, c.role, c.mobile ?? null, JSON.stringify(channels), c.active, c.locale ?? 'en']).catch((e) => unique(e, 'contact', c.name));
  return toContact(rows[0]!);
}

export async function deleteContact(q: Queryable, id: number): Promise<Contact> {
  const rows = await q.query('DELETE FROM notify_contacts WHERE id = $1 RETURNING *', [id]);
  if (!rows[0]) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no contact with id ${id}` });
  return toContact(rows[0]);
}

export async function listRoutes(q: Queryable): Promise<Route[]> {
  return (await q.query('SELECT * FROM notify_routes ORDER BY id')).map(toRoute);
}

export async function getRoute(q: Queryable, id: number): Promise<Route> {
  const r = (await q.query('SELECT * FROM notify_routes WHERE id = $1', [id]))[0];
  if (!r) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no route with id ${id}` });
  return toRoute(r);
}

async function assertContactsExist(q: Queryable, ids: number[]): Promise<void> {
  if (!ids.length) return;
  const found = new Set((await q.query<{ id: number }>('SELECT id FROM notify_contacts WHERE id = ANY($1::int[])', [ids])).map((r) => Number(r.id)));
  ids.forEach((id, i) => {
    if (!found.has(id)) throw new SpError('SP_ERR_VALIDATION', { field: `body.contactIds.${i}`, reason: `no contact with id ${id}` });
  });
}

const routeParams = (r: RouteInput) => [r.name, r.kind ?? null, r.zone ?? null, r.severity ?? null, r.role ?? null,
  r.contactIds, r.channels ?? null, r.escalateAfterMin ?? null, r.repeatEveryMin ?? null, r.enabled];

export async function createRoute(q: Queryable, r: RouteInput): Promise<Route> {
  await assertContactsExist(q, r.contactIds);
  const rows = await q.query(
    `INSERT INTO notify_routes (name, kind, zone, severity, role, contact_ids, channels, escalate_after_min, repeat_every_min, enabled)
     VALUES ($1, $2, $3, $4, $5, $6::int[], $7::text[], $8, $9, $10) RETURNING *`, routeParams(r)).catch((e) => unique(e, 'route', r.name));
  return toRoute(rows[0]!);
}

export async function updateRoute(q: Queryable, id: number, r: RouteInput): Promise<Route> {
  await getRoute(q, id);
  await assertContactsExist(q, r.contactIds);
  const rows = await q.query(
    `UPDATE notify_routes SET name = $2, kind = $3, zone = $4, severity = $5, role = $6, contact_ids = $7::int[], channels = $8::text[],
       escalate_after_min = $9, repeat_every_min = $10, enabled = $11, updated_at = now() WHERE id = $1 RETURNING *`,
    [id, ...routeParams(r)]).catch((e) => unique(e, 'route', r.name));
  return toRoute(rows[0]!);
}

export async function deleteRoute(q: Queryable, id: number): Promise<Route> {
  const rows = await q.query('DELETE FROM notify_routes WHERE id = $1 RETURNING *', [id]);
  if (!rows[0]) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no route with id ${id}` });
  return toRoute(rows[0]);
}
