import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, readDataDirHolder } from '../../cloud/db/data-dir-lock.ts';
import { freePort } from '../../simulators/free-port.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { engineLabel, freshPostgresDatabase, usingPostgres } from '../helpers/db.ts';
import { waitFor } from '../helpers/net.ts';

// Issue #11, "the CLI opens the live PGlite database with no lock": with `npm start` running,
// `stockpulse token create --data-dir …` printed a token the server refused, removed
// postmaster.pid, and after a kill -9 a movement the server had answered 201 for was gone.
// Replayed against the real demo process: every command the README tells an operator to run
// (token, verify, jobs run, migrate), and a second demo, is refused with SP_ERR_CONFLICT naming the demo (pid,
// command, since, URL) and what to do, and touches nothing; the demo is then kill -9'd and
// started again on the same directory: the stale lock does not block it, and the movement and
// the token made through the API before the kill are there. On PostgreSQL (DATABASE_URL) the
// same commands run next to the demo (the server handles concurrency) and their writes count.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'sp-cli-live-'));
const pgliteDir = join(dataDir, 'cloud-pglite');
let pg: { url: string; drop(): Promise<void> } | undefined;
const running: ChildProcess[] = [];
afterAll(async () => {
  // the whole process group: the demo's socat (its simulated serial balance) goes with it
  for (const c of running) if (c.exitCode === null && c.signalCode === null) killGroup(c.pid!);
  await pg?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, DATABASE_URL: pg?.url ?? '', LOG_LEVEL: 'warn' });

/** SIGKILL to a process group (the demo and what it spawned); gone already is fine */
function killGroup(pid: number): void {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* exited */ }
}

interface Demo { proc: ChildProcess; pid: number; url: string; token: string; exited: Promise<number | null> }

/** `stockpulse demo` as `npm start` runs it, on our data directory and free ports; resolves once it prints its URL */
async function startDemo(): Promise<Demo> {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, ['bin/stockpulse.js', 'demo', '--data-dir', dataDir, '--port', String(port), '--mqtt-port', String(mqttPort)],
    // its own process group, so a kill -9 takes its children too (a power cut does; an orphaned
    // socat would outlive the test)
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env(), LOG_LEVEL: 'info' }, detached: true });
  running.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d; });
  proc.stderr!.on('data', (d: Buffer) => { err += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const m = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`demo exited ${proc.exitCode}: ${err.slice(-2000)}`);
    return /dashboard\s+(http:\/\/[^/\s]+)\/#token=(\S+)/.exec(out);
  }, 'the demo to print its dashboard URL', 150_000, 200).catch((e: Error) => {
    // a start that hangs says where: the demo logs each stage (LOG_LEVEL=info)
    throw new Error(`${e.message}\n--- demo stdout (tail) ---\n${out.slice(-3000)}\n--- demo stderr (tail) ---\n${err.slice(-3000)}`);
  });
  return { proc, pid: proc.pid!, url: m[1]!, token: m[2]!, exited };
}

async function api(d: Demo, method: string, path: string, body?: unknown, token = d.token): Promise<{ status: number; json: any }> {
  const r = await fetch(`${d.url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: await r.json() };
}

const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--data-dir', dataDir], { env: env() });

const marker = `before-kill-${Date.now()}`;

describe(`the CLI on a live demo's database (${engineLabel})`, () => {
  it('refuses every operator command naming the running demo, and no committed write is lost to a kill -9', async () => {
    if (usingPostgres) pg = await freshPostgresDatabase();
    const demo = await startDemo();

    // writes the server answers for: a movement (201) and a token made through the API
    const moved = await api(demo, 'POST', '/api/movements', { kind: 'receipt', item: 'BUTTER-250', to: 'DRY', qty: 7, note: marker, idempotencyKey: marker });
    expect(moved.status, JSON.stringify(moved.json)).toBe(201);
    const made = await api(demo, 'POST', '/api/tokens', { role: 'viewer', name: 'made-through-the-api' });
    expect(made.status).toBe(201);
    const viewer = made.json.token as string;

    const commands = [
      ['token', 'create', '--role', 'admin', '--name', 'from-the-cli'],
      ['verify'],
      ['jobs', 'run', 'expiry-sweep'],
      ['migrate'],
    ];
    // and a second `npm start` on the same directory (PGlite only: on PostgreSQL it would run)
    if (!usingPostgres) commands.push(['demo', '--port', String(await freePort()), '--mqtt-port', String(await freePort())]);
    // one after the other: a CLI start costs seconds of CPU on a 2-core box
    const results: CliResult[] = [];
    for (const c of commands) results.push(await cli(c));

    if (!usingPostgres) {
      const holder = readDataDirHolder(pgliteDir)!;
      expect(holder).toMatchObject({ pid: demo.pid, url: demo.url });
      expect(holder.command).toMatch(/^stockpulse demo /);
      results.forEach((r, i) => {
        const what = commands[i]!.join(' ');
        expect(r.code, `${what}: ${r.stderr}`).toBe(1);
        expect(r.stdout, what).toBe(''); // no token printed, nothing verified or run
        expect(r.stderr, what).toMatch(/^error SP_ERR_CONFLICT\n {2}data-dir: .*cloud-pglite is open in another process/);
        expect(r.stderr, what).toContain(`holder: pid ${demo.pid} running "stockpulse demo --data-dir ${dataDir}`);
        expect(r.stderr, what).toContain(`since ${holder.since}, serving ${demo.url}`);
        expect(r.stderr, what).toMatch(new RegExp(`what to do: stop it first .*kill -TERM ${demo.pid}.*through its API at ${demo.url}`));
      });
      // the refused commands left the server's files alone, and it goes on serving
      expect(existsSync(join(pgliteDir, 'postmaster.pid'))).toBe(true);
      expect(readDataDirHolder(pgliteDir)).toEqual(holder);
    } else {
      // PostgreSQL: the same commands run beside the server, and the token the CLI prints works on it
      results.forEach((r, i) => expect(r.code, `${commands[i]!.join(' ')}: ${r.stderr}`).toBe(0));
      expect((await api(demo, 'GET', '/api/items', undefined, results[0]!.stdout.trim())).status).toBe(200);
      expect(existsSync(join(pgliteDir, LOCK_FILE))).toBe(false);
    }
    expect((await api(demo, 'GET', '/api/items', undefined, viewer)).status).toBe(200);

    // kill -9 the demo: its lock stays behind, stale
    killGroup(demo.pid);
    await demo.exited;
    if (!usingPostgres) expect(readDataDirHolder(pgliteDir)).toMatchObject({ pid: demo.pid });

    // started again on the same directory: the stale lock does not block it, and nothing answered for is lost
    const again = await startDemo();
    if (!usingPostgres) expect(readDataDirHolder(pgliteDir)).toMatchObject({ pid: again.pid, url: again.url });
    const after = await api(again, 'GET', '/api/movements?item=BUTTER-250&limit=1000');
    expect(after.status).toBe(200);
    expect(after.json.filter((m: { note: string | null }) => m.note === marker)).toMatchObject([{ id: moved.json.id, qty: 7, kind: 'receipt' }]);
    expect((await api(again, 'GET', '/api/items', undefined, viewer)).status).toBe(200);
    const verified = await api(again, 'GET', '/api/inventory/verify');
    expect(verified.json, JSON.stringify(verified.json.differences)).toMatchObject({ ok: true });

    // a clean stop hands the directory back: the CLI then opens it and finds the same ledger
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(existsSync(join(pgliteDir, LOCK_FILE))).toBe(false);
    const verify = await cli(['verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/ok: balances, reservations and pools match the ledger/);
    const tokens = await cli(['token', 'list']);
    expect(tokens.code, tokens.stderr).toBe(0);
    expect(tokens.stdout).toContain('made-through-the-api');
  }, 600_000); // two demo starts and six CLI processes on a loaded 2-core box
});
