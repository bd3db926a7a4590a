import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../cloud/db/engine.ts';
import { migrate } from '../../../cloud/db/migrate.ts';
import { createItem, createLocation } from '../../../cloud/inventory/master-data.ts';
import { postMovement } from '../../../cloud/inventory/ledger.ts';
import { hashToken } from '../../../cloud/auth/tokens.ts';
import { engineLabel, freshPostgresDatabase, usingPostgres } from '../../helpers/db.ts';

// The operator's CLI, spawned for real: `stockpulse token create` prints a token once and
// stores only its hash; `stockpulse verify` says ok, then names a tampered balance (exit 1).

const dataDir = mkdtempSync(join(tmpdir(), 'sp-cli-'));
let pgUrl: string | undefined;
let drop: (() => Promise<void>) | undefined;

function cli(args: string[]) {
  const target = pgUrl ? ['--database-url', pgUrl] : ['--data-dir', dataDir];
  return runCli([...args, ...target], { env: { ...process.env, DATABASE_URL: '' } });
}

/** the same database the CLI uses; PGlite allows one process at a time, so open, act, close */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(pgUrl ? { url: pgUrl } : { dataDir: join(dataDir, 'cloud-pglite') });
  try { await migrate(db); return await fn(db); } finally { await db.close(); }
}

afterAll(async () => {
  await drop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`stockpulse token / verify (${engineLabel})`, () => {
  it('creates a token shown once and stored hashed; verify reports ok, then a tampered balance', async () => {
    if (usingPostgres) ({ url: pgUrl, drop } = await freshPostgresDatabase());
    const made = await cli(['token', 'create', '--role', 'sales', '--name', 'shop-frontend']);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^sp_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/role sales/);

    await withDb(async (db) => {
      const [row] = await db.query<{ token_hash: string; role: string }>('SELECT token_hash, role FROM api_tokens');
      expect(row).toEqual({ token_hash: hashToken(token), role: 'sales' });
      await createLocation(db, { id: 'site', kind: 'site', name: 'S' });
      await createItem(db, { sku: 'FLOUR', name: 'Flour', unit: 'kg' });
      await postMovement(db, { kind: 'receipt', item: 'FLOUR', to: 'site', qty: 25.5 }, { name: 'test', role: 'warehouse' });
    });
    const ok = await cli(['verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/checked 1 movements, 1 balances[\s\S]*ok: balances, reservations and pools match the ledger/);

    await withDb((db) => db.query(`UPDATE balances SET on_hand = 20 WHERE item = 'FLOUR'`));
    const diff = await cli(['verify']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/DIFF balance +FLOUR site: expected 25\.5, stored 20/);
  }, 180_000); // five CLI processes (tsx start-up each) on a loaded 2-core box
});
