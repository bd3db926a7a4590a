import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

// Typed queries (drizzle) over the same connection the raw-SQL paths use.
export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;

export function createOrm(client: { kind: 'pglite'; lite: PGlite } | { kind: 'postgres'; pool: pg.Pool }): Orm {
  return (client.kind === 'pglite'
    ? drizzlePglite({ client: client.lite, schema })
    : drizzlePg({ client: client.pool, schema })) as unknown as Orm;
}

export { schema };
