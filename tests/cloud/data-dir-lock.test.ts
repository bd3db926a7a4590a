import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../cloud/db/engine.ts';
import { LOCK_FILE, lockDataDir, readDataDirHolder, type DataDirHolder } from '../../cloud/db/data-dir-lock.ts';
import { SpError } from '../../protocols/errors.ts';
import { waitFor } from '../helpers/net.ts';

// One writer per embedded data directory (cloud/db/data-dir-lock.ts), between real processes:
// a second opener is refused with SP_ERR_CONFLICT naming the holder and leaves the holder's
// PGlite files alone; a lock whose holder died (kill -9), whose pid now belongs to another
// process, or that was left empty is taken over; several processes meeting one stale lock
// leave exactly one holder; a lock written on another host is never taken.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/hold-data-dir.ts', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'sp-dirlock-'));
let n = 0;
const freshDir = () => join(base, `d${++n}`);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

interface Holder { child: ChildProcess; lines: string[]; go(): void; result(): Promise<{ won: boolean; code?: string; details?: { field: string; reason: string }[] }>; end(): Promise<number | null> }

/** a child process (fixtures/hold-data-dir.ts) ready to open DIR when told "go" */
async function holder(mode: 'open' | 'lock', dir: string): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { buf += d; const parts = buf.split('\n'); buf = parts.pop()!; lines.push(...parts); });
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(() => lines.includes('ready') || (child.exitCode !== null && Promise.reject(new Error(err))), 'child ready', 90_000);
  return {
    child, lines,
    go: () => child.stdin!.write('go\n'),
    result: async () => JSON.parse(await waitFor(() => lines.find((l) => l.startsWith('{')), `child result (stderr: ${err})`, 90_000)),
    end: async () => { child.stdin!.end(); return exited; },
  };
}

const writeLock = (dir: string, h: Partial<DataDirHolder>) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), command: 'test', since: new Date().toISOString(), ...h }));
};
const procStartOf = (pid: number) => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]; };
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

async function refusedWith(p: Promise<unknown>): Promise<Record<string, string>> {
  const e = await p.then(() => { throw new Error('expected a refusal'); }, (x: unknown) => x);
  expect(e).toBeInstanceOf(SpError);
  expect((e as SpError).code).toBe('SP_ERR_CONFLICT');
  return Object.fromEntries((e as SpError).details.map((d) => [d.field, d.reason]));
}

describe('one writer per PGlite data directory (two processes)', () => {
  it('a second process is refused, naming the holder, and leaves its files alone; after the holder closes it opens', async () => {
    const dir = freshDir();
    const a = await holder('open', dir);
    a.go();
    expect(await a.result()).toEqual({ won: true });
    const held = readDataDirHolder(dir)!;
    expect(held).toMatchObject({ pid: a.child.pid, host: hostname() });
    expect(existsSync(join(dir, 'postmaster.pid'))).toBe(true);

    const why = await refusedWith(openDb({ dataDir: dir }));
    expect(why['data-dir']).toMatch(/is open in another process/);
    expect(why.holder).toContain(`pid ${a.child.pid} running "hold-data-dir open ${dir}" since ${held.since}`);
    expect(why['what to do']).toMatch(new RegExp(`kill -TERM ${a.child.pid}.*DATABASE_URL`));
    // the refused process never started PGlite on the directory: the holder's files are as they were
    expect(existsSync(join(dir, 'postmaster.pid'))).toBe(true);
    expect(readDataDirHolder(dir)).toEqual(held);

    // and the refusal goes the other way too: a process started after us while we hold it
    expect(await a.end()).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const db = await openDb({ dataDir: dir });
    try {
      expect(readDataDirHolder(dir)).toMatchObject({ pid: process.pid });
      const b = await holder('open', dir);
      b.go();
      const r = await b.result();
      expect(r).toMatchObject({ won: false, code: 'SP_ERR_CONFLICT' });
      expect(r.details!.find((d) => d.field === 'holder')!.reason).toContain(`pid ${process.pid}`);
      expect(await b.end()).toBe(0);
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 300_000); // three PGlite starts (two in child processes) on a loaded 2-core box

  it('a lock left by a kill -9 is taken over; the same process cannot open a directory twice', async () => {
    const dir = freshDir();
    const a = await holder('lock', dir);
    a.go();
    expect(await a.result()).toEqual({ won: true });
    a.child.kill('SIGKILL');
    await a.end();
    expect(readDataDirHolder(dir)).toMatchObject({ pid: a.child.pid }); // left behind
    const lock = await lockDataDir(dir);
    expect(readDataDirHolder(dir)).toMatchObject({ pid: process.pid });
    const self = await refusedWith(lockDataDir(dir));
    expect(self['data-dir']).toMatch(/open in this process already/);
    lock.advertise('http://127.0.0.1:1');
    expect(readDataDirHolder(dir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:1' });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('a pid now used by another process, a lock written before a reboot, or one copied with the directory is not the holder', async (ctx) => {
    if (!existsSync('/proc/self/stat')) {
      console.log('skipped: pid reuse is recognised by the process start time in /proc (Linux only); elsewhere a live pid counts as the holder');
      ctx.skip();
    }
    const a = await holder('lock', freshDir()); // only a live pid to borrow
    const live = a.child.pid!;
    const dir = freshDir();
    writeLock(dir, { pid: live, procStart: procStartOf(live), bootId: bootId() });
    expect((await refusedWith(lockDataDir(dir))).holder).toContain(`pid ${live}`);
    writeLock(dir, { pid: live, procStart: '1', bootId: bootId() });      // same pid, another process
    (await lockDataDir(dir)).release();
    writeLock(dir, { pid: live, procStart: procStartOf(live), bootId: 'an-earlier-boot' });
    (await lockDataDir(dir)).release();
    // a directory copied (cp -a, a restored backup) while its holder runs: the lock is about the original
    writeLock(dir, { pid: live, procStart: procStartOf(live), bootId: bootId(), dirId: '1:1' });
    (await lockDataDir(dir)).release();
    await a.end();
  }, 60_000);

  it('several processes meeting one stale lock: exactly one takes it, the others are refused naming it', async () => {
    const dir = freshDir();
    const dead = await holder('lock', freshDir());
    dead.child.kill('SIGKILL');
    await dead.end();
    writeLock(dir, { pid: dead.child.pid! });
    const racers = await Promise.all([1, 2, 3, 4].map(() => holder('lock', dir)));
    for (const r of racers) r.go();
    const results = await Promise.all(racers.map((r) => r.result()));
    const winners = racers.filter((_, i) => results[i]!.won);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.child.pid;
    expect(readDataDirHolder(dir)).toMatchObject({ pid: winner });
    for (const r of results.filter((x) => !x.won)) {
      expect(r.code).toBe('SP_ERR_CONFLICT');
      expect(r.details!.find((d) => d.field === 'holder')!.reason).toContain(`pid ${winner}`);
    }
    await Promise.all(racers.map((r) => r.end()));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
  }, 180_000);

  it('a lock from another host is never taken; an empty lock is taken only once it is old', async () => {
    const dir = freshDir();
    writeLock(dir, { pid: 1, host: 'other-host' });
    const why = await refusedWith(lockDataDir(dir));
    expect(why.holder).toMatch(/^pid 1 on other-host running "test"/);
    expect(why['what to do']).toContain(`written on other-host: if no process there has this directory open, delete ${join(dir, LOCK_FILE)}`);

    const empty = freshDir();
    mkdirSync(empty);
    writeFileSync(join(empty, LOCK_FILE), ''); // a crash between creating the file and writing it
    const t0 = Date.now();
    const lock = await lockDataDir(empty);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // first given the time a live writer needs
    lock.release();
  }, 30_000);
});
