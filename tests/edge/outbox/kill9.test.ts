import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { drain, indexOf, tempDir } from './helpers.ts';

// kill -9 in the middle of appends: whatever append() had returned before the kill is in the
// file after it, in order, once; the batch that was cut but not acked comes back with the same
// seq; the stream continues; and SQLite's integrity check passes.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/append-loop.ts', import.meta.url));
const tmp = tempDir('sp-kill9-');
afterAll(() => tmp.remove());

interface ChildLog { stream?: string; lastAppended: number; cuts: { seq: number; first: number; last: number }[]; acked: Set<number> }

/** runs the append loop, SIGKILLs it once it has reported `minAppends` appends, returns what it reported */
function runAndKill(dbPath: string, start: number, fsync: string, minAppends: number): Promise<ChildLog> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dbPath, String(start), fsync], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: ChildLog = { lastAppended: start - 1, cuts: [], acked: new Set() };
    let buf = '';
    let appends = 0;
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!; // a line cut by the kill was never fully reported: ignore it
      for (const line of lines) {
        const [tag, a, b, c] = line.split(' ');
        if (tag === 'S') log.stream = a;
        else if (tag === 'A') { log.lastAppended = Number(a); appends++; }
        else if (tag === 'C') log.cuts.push({ seq: Number(a), first: Number(b), last: Number(c) });
        else if (tag === 'K') log.acked.add(Number(a));
      }
      if (appends >= minAppends && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`append loop ended by itself (code ${code}): ${stderr}`));
      else resolve(log);
    });
  });
}

describe('SqliteOutbox survives kill -9', () => {
  // fsync full is the default and gets two kills in a row (the second on a reopened stream)
  it.each([['full', [150, 400]], ['normal', [250]]] as const)('fsync %s: every reported append is kept, in order, once; the in-flight batch and the stream continue', async (fsync, kills) => {
    const dbPath = tmp.path(`kill-${fsync}.sqlite`);
    let stream: string | undefined;
    let lastSeq = 0;
    for (const [round, minAppends] of kills.entries()) {
      const start = round * 1_000_000;
      const log = await runAndKill(dbPath, start, fsync, minAppends);
      expect(log.lastAppended).toBeGreaterThan(start);

      const db = new Database(dbPath);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      const o = SqliteOutbox.open(dbPath);
      if (stream) expect(o.stream).toBe(stream);
      stream = o.stream;
      expect(log.stream).toBe(stream);
      // A batch cut and reported but not reported acked may or may not have had its ack
      // committed; if not, it must come back as it was.
      const lastCut = log.cuts.at(-1);
      const ackedUpTo = [...log.cuts].reverse().find((c) => log.acked.has(c.seq))?.last ?? start - 1;
      const pending = lastCut && !log.acked.has(lastCut.seq) ? lastCut : undefined;
      const resent = o.nextBatch(1000);
      if (pending && resent?.seq === pending.seq) {
        expect(indexOf(resent.entries[0]!)).toBe(pending.first);
        expect(indexOf(resent.entries.at(-1)!)).toBe(pending.last);
      }
      const { entries, seqs } = drain(o);
      const got = entries.map(indexOf);
      // what is left is a contiguous run of the appended indices: in order, no duplicate, no gap
      expect(got).toEqual(got.map((_, i) => got[0]! + i));
      const expectedFirst = [ackedUpTo + 1, ...(pending ? [pending.last + 1] : [])];
      expect(expectedFirst).toContain(got[0]);
      expect(got.at(-1)).toBeGreaterThanOrEqual(log.lastAppended); // nothing reported is missing
      // seqs continue gap-free across kills and reopenings
      const allSeqs = [...log.cuts.map((c) => c.seq), ...seqs].filter((s, i, a) => a.indexOf(s) === i);
      expect(allSeqs).toEqual(allSeqs.map((_, i) => lastSeq + 1 + i));
      lastSeq = allSeqs.at(-1) ?? lastSeq;
      o.close();
    }
  }, 30_000);
});
