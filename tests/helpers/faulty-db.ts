import type { Db, Queryable } from '../../cloud/db/engine.ts';

// A real database with one injected fault: while `armed`, a statement inside a transaction whose
// SQL matches `when` fails with `error()` instead of running (what PostgreSQL answers on a
// deadlock, a serialization failure or a lost connection), so a test can make a batch's commit
// fail exactly where it wants, on PGlite and PostgreSQL alike. Everything else goes to the real
// database unchanged.

export interface FaultyDb {
  db: Db;
  armed: boolean;
  /** statements that failed because of the fault */
  hits: number;
}

export function faultyDb(real: Db, when: (sql: string) => boolean, error: () => Error): FaultyDb {
  const f: FaultyDb = { db: real, armed: false, hits: 0 };
  const wrap = (q: Queryable): Queryable => new Proxy(q, {
    get(target, prop) {
      if (prop === 'query') {
        return (sql: string, params?: unknown[]) => {
          if (f.armed && when(sql)) { f.hits++; return Promise.reject(error()); }
          return target.query(sql, params);
        };
      }
      return Reflect.get(target, prop, target) as unknown;
    },
  });
  f.db = new Proxy(real, {
    get(target, prop) {
      if (prop === 'tx') return <T>(fn: (q: Queryable) => Promise<T>) => target.tx((q) => fn(wrap(q)));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return f;
}

/** an error shaped like the ones pg and PGlite throw: message + SQLSTATE in `code` */
export const sqlError = (code: string, message: string) => Object.assign(new Error(message), { code });
