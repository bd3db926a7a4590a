import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SpError, zodIssuesToDetails } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { ContactInput, RouteInput, createContact, createRoute, listContacts, listRoutes, updateContact, updateRoute } from './contacts.ts';

// Contacts and routes from a JSON file (e.g. kept next to the deployment, secrets via ${ENV}):
// applied by name, so applying the same file again changes nothing and editing it updates the
// rows it names. Routes refer to contacts by name here (ids differ between databases).

export const NotifySeed = z.object({
  contacts: z.array(ContactInput).default([]),
  routes: z.array(z.object({ contacts: z.array(z.string()).default([]) }).passthrough()).default([]),
});

const expandEnv = (text: string, env: Readonly<Record<string, string | undefined>>) =>
  text.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, k: string, dflt?: string) => env[k] ?? dflt ?? '');

export async function applyNotifySeed(db: Db, raw: unknown): Promise<{ contacts: number; routes: number }> {
  const parsed = NotifySeed.safeParse(raw);
  if (!parsed.success) throw new SpError('SP_ERR_CONFIG', zodIssuesToDetails(parsed.error.issues));
  const existing = new Map((await listContacts(db)).map((c) => [c.name, c]));
  for (const c of parsed.data.contacts) {
    const have = existing.get(c.name);
    existing.set(c.name, have ? await updateContact(db, have.id, c) : await createContact(db, c));
  }
  const routes = new Map((await listRoutes(db)).map((r) => [r.name, r]));
  let i = 0;
  for (const r of parsed.data.routes) {
    const { contacts: names, ...rest } = r;
    const contactIds = names.map((n, j) => {
      const c = existing.get(n);
      if (!c) throw new SpError('SP_ERR_CONFIG', { field: `routes.${i}.contacts.${j}`, reason: `no contact named "${n}"` });
      return c.id;
    });
    const input = RouteInput.safeParse({ ...rest, contactIds });
    if (!input.success) throw new SpError('SP_ERR_CONFIG', zodIssuesToDetails(input.error.issues).map((d) => ({ ...d, field: `routes.${i}.${d.field}` })));
    const have = routes.get(input.data.name);
    if (have) await updateRoute(db, have.id, input.data);
    else await createRoute(db, input.data);
    i++;
  }
  return { contacts: parsed.data.contacts.length, routes: parsed.data.routes.length };
}

/** reads a seed file; ${VAR} / ${VAR:-default} come from the environment so keys stay out of the file */
export async function applyNotifySeedFile(db: Db, path: string, env: Readonly<Record<string, string | undefined>>) {
  const text = expandEnv(await readFile(path, 'utf8'), env);
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new SpError('SP_ERR_CONFIG', { field: path, reason: `not JSON: ${(e as Error).message}` }); }
  return applyNotifySeed(db, raw);
}
