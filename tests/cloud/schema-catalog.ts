import type { Queryable } from '../../cloud/db/engine.ts';

// The shape of the database as PostgreSQL reports it (pg_catalog), in a form the drizzle
// declarations (cloud/db/schema/) can be compared with: tables and views of the public schema,
// their columns (type as format_type prints it, NOT NULL, whether there is a default), primary
// key, unique constraints, foreign keys and indexes. Used by tests/cloud/schema.test.ts.

export interface ColumnShape { type: string; notNull: boolean; hasDefault: boolean }
export interface IndexShape { unique: boolean; columns: string[]; where: string | null }
export interface RelationShape {
  kind: 'table' | 'view';
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** each unique constraint's columns, joined with ',' (sorted list) */
  uniques: string[];
  /** "a,b → other(x,y)" (sorted list) */
  foreignKeys: string[];
  /** by name: the indexes that are not the backing of a primary key or unique constraint */
  indexes: Record<string, IndexShape>;
}
export type SchemaShape = Record<string, RelationShape>;

/** spelling differences that mean the same type or predicate: numeric(20, 6) / numeric(20,6), casts to text pg adds */
export const normType = (t: string): string => t.replace(/,\s+/g, ',').trim();
export const normWhere = (w: string | null): string | null =>
  w === null ? null : w.replace(/::text\b/g, '').replace(/\s+/g, ' ').replace(/^\((.*)\)$/, '$1').trim();

export async function readCatalog(q: Queryable): Promise<SchemaShape> {
  const rels = await q.query<{ oid: number; name: string; kind: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname`);
  const out: SchemaShape = {};
  for (const r of rels) {
    const cols = await q.query<{ name: string; type: string; not_null: boolean; has_default: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, a.atthasdef AS has_default
       FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [r.oid]);
    const cons = await q.query<{ type: string; cols: string[]; ref: string | null; ref_cols: string[] | null }>(
      `SELECT c.contype::text AS type,
              ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
              c.confrelid::regclass::text AS ref,
              ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_cols
       FROM pg_constraint c WHERE c.conrelid = $1 AND c.contype IN ('p', 'u', 'f')`, [r.oid]);
    const idx = await q.query<{ name: string; unique: boolean; cols: string[]; where: string | null }>(
      `SELECT ic.relname AS name, i.indisunique AS unique,
              ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) || CASE WHEN (i.indoption[k - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                    FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS cols,
              pg_get_expr(i.indpred, i.indrelid, true) AS where
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))
       ORDER BY ic.relname`, [r.oid]);
    out[r.name] = {
      kind: r.kind === 'r' || r.kind === 'p' ? 'table' : 'view',
      columns: Object.fromEntries(cols.map((c) => [c.name, { type: normType(c.type), notNull: c.not_null, hasDefault: c.has_default }])),
      primaryKey: cons.find((c) => c.type === 'p')?.cols ?? [],
      uniques: cons.filter((c) => c.type === 'u').map((c) => c.cols.join(',')).sort(),
      foreignKeys: cons.filter((c) => c.type === 'f').map((c) => `${c.cols.join(',')} → ${c.ref}(${c.ref_cols!.join(',')})`).sort(),
      indexes: Object.fromEntries(idx.map((i) => [i.name, { unique: i.unique, columns: i.cols, where: normWhere(i.where) }])),
    };
  }
  return out;
}
