import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf, roleOf } from '../../auth/guard.ts';
import { PERMISSIONS, canSeeCost, decide, type Role } from '../../auth/permissions.ts';
import { getPreferences, LOCALES, setPreferences } from '../../auth/preferences.ts';
import { ErrorBody } from '../schemas.ts';

// Who the caller is (name, role, what the matrix lets it do: the pages offer only that) and the
// caller's own settings: the language switch stores the choice here, so it follows the person
// (the name on their token) to another browser.

const Prefs = z.object({ locale: z.enum(LOCALES) }).strict();
const responses = { 200: z.object({ locale: z.enum(LOCALES).nullable() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export const meRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/me', { schema: { tags: ['auth'], summary: "the caller's name and role, whether it sees cost, and which routes of the matrix it may call" } }, async (req) => {
    const role = roleOf(req) as Role | undefined;
    const may: Record<string, boolean> = {};
    for (const k of Object.keys(PERMISSIONS)) {
      const [method, route] = k.split(' ') as [string, string];
      may[k] = decide(role, method, route) !== 'deny';
    }
    return { name: actorOf(req).name, role: role ?? null, canSeeCost: canSeeCost(role), may };
  });

  app.get('/api/me/preferences', { schema: { tags: ['auth'], summary: "the caller's settings (UI language; null when never chosen)", response: responses } },
    async (req) => getPreferences(db, actorOf(req).name));
  app.put('/api/me/preferences', { schema: { tags: ['auth'], summary: "set the caller's settings (UI language: en or zh-CN)", body: Prefs, response: responses } },
    async (req) => setPreferences(db, actorOf(req).name, req.body));
};
