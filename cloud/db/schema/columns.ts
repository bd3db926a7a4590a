import { timestamp } from 'drizzle-orm/pg-core';

/** every timestamp column is timestamptz, read as a Date (the name stays a literal type: SqlRow keys on it) */
export const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, mode: 'date' });
