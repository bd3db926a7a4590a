import type { Column, Table } from 'drizzle-orm';

// Row types for raw SQL, derived from the drizzle schema (cloud/db/schema/) instead of written by
// hand beside each query. A raw `query` returns what the driver makes of each column, which is
// not always what drizzle's own mapping gives ($inferSelect): numeric comes back as a string
// (exact decimals), bigint as a string on pg and a number on PGlite, date as a Date or a string
// depending on the driver's parsers. SqlRow<typeof table> says exactly that, under the column's
// SQL name (snake_case), with the CHECK-IN unions the schema declares as text enums.

type Nullable<C extends Column, T> = C['_']['notNull'] extends true ? T : T | null;

type DriverValue<C extends Column> =
  C['_']['columnType'] extends 'PgNumeric' ? string
  : C['_']['columnType'] extends 'PgBigInt53' | 'PgBigSerial53' ? string | number
  : C['_']['columnType'] extends 'PgDateString' | 'PgDate' ? string | Date
  : C['_']['columnType'] extends 'PgArray' ? (C['_']['data'] extends number[] ? (string | number)[] : C['_']['data'])
  : C['_']['columnType'] extends 'PgJsonb' ? unknown
  : C['_']['data'];

/** one row of `SELECT * FROM table` through Queryable.query */
export type SqlRow<T extends Table> = {
  [K in keyof T['_']['columns'] as T['_']['columns'][K]['_']['name']]: Nullable<T['_']['columns'][K], DriverValue<T['_']['columns'][K]>>;
};
