import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf } from '../../auth/guard.ts';
import { getPreferences, LOCALES, setPreferences } from '../../auth/preferences.ts';
import { ErrorBody } from '../schemas.ts';

// The caller's own settings: the web UI's language switch stores the choice here, so it follows
// the person (the name on their token) to another browser.

const Prefs = z.object({ locale: z.enum(LOCALES) }).strict();
const responses = { 200: z.object({ locale: z.enum(LOCALES).nullable() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export const meRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/me/preferences', { schema: { tags: ['auth'], summary: "the caller's settings (UI language; null when never chosen)", response: responses } },
    async (req) => getPreferences(db, actorOf(req).name));
  app.put('/api/me/preferences', { schema: { tags: ['auth'], summary: "set the caller's settings (UI language: en or zh-CN)", body: Prefs, response: responses } },
    async (req) => setPreferences(db, actorOf(req).name, req.body));
};
