import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openDb, type Db } from '../cloud/db/engine.ts';

// The database an operator's command works on (token, gateway, verify, jobs, migrate): the one
// named by --database-url or DATABASE_URL, else the embedded PGlite under --data-dir (or
// STOCKPULSE_DATA_DIR, or ./data) — the same directory `demo` and `cloud` use. openDb takes the
// data directory's lock, so a command never writes beside a running server.

export interface OperatorDbArgs { 'database-url'?: string; 'data-dir'?: string }

/** `create`: make the PGlite directory when it is missing (a command that only reads leaves it) */
export async function openOperatorDb(values: OperatorDbArgs, o: { create?: boolean } = { create: true }): Promise<Db> {
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  const dataDir = url ? undefined : join(values['data-dir'] ?? process.env.STOCKPULSE_DATA_DIR ?? './data', 'cloud-pglite');
  if (dataDir && o.create) await mkdir(dataDir, { recursive: true });
  return openDb({ url, dataDir });
}
