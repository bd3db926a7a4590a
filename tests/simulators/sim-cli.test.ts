import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EdgeConfig } from '../../edge/config.schema.ts';
import { main } from '../../bin/cli.ts';
import { parseObject, record, startBroker, type TestBroker } from '../helpers/simulators.ts';

// `stockpulse sim` as a user runs it: a real process, a real broker, real HTTP, real signals.

const BIN = fileURLToPath(new URL('../../bin/stockpulse.js', import.meta.url));

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  waitOut: (re: RegExp) => Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); for (const w of waiters) w(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => { for (const w of waiters) w(); resolve(code); }));
  return {
    child, exit,
    out: () => out,
    err: () => err,
    waitOut: (re) => new Promise((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (m) { waiters.delete(check); resolve(m); } else if (child.exitCode !== null) { waiters.delete(check); reject(new Error(`exited ${child.exitCode}: ${err}`)); }
      };
      waiters.add(check);
      check();
    }),
  };
}

/**
 * Runs `stockpulse ARGS` in this process, collecting what it prints. Used for the commands that
 * exit at once; spawning tsx for each would cost seconds on a 2-core box.
 */
async function runInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); });
afterAll(async () => { await broker?.close(); });

describe('stockpulse sim', () => {
  it('--print-edge-config prints YAML the gateway accepts, with the alarm delay asked for', async () => {
    const r = await runInProcess(['sim', '--scenario', 'bakery', '--print-edge-config', '--mqtt-url', broker.url, '--alarm-delay-sec', '60']);
    expect(r.code).toBe(0);
    const cfg = EdgeConfig.parse(parse(r.out));
    expect(cfg.deviceBroker.url).toBe(broker.url);
    expect(cfg.zones.map((z) => z.alarm.delaySec)).toEqual([60, 60]);
  });

  it('runs the scenario, logs fault changes made over HTTP, and stops cleanly on SIGTERM', async () => {
    const rec = await record(broker.url, 'bakery/#');
    const r = run(['--mqtt-url', broker.url, '--modbus-port', '0', '--publish-ms', '100', '--control-port', '0', '--fault', 'freezer:compressor_failure']);
    try {
      const [, url] = await r.waitOut(/control API on (http:\/\/\S+)\/faults/);
      expect(r.out()).toMatch(/fault compressor_failure on freezer: ACTIVE/);
      const frames = await rec.waitFor('bakery/chiller/probe-1', (fs) => fs.length >= 1);
      expect(parseObject(frames[0]!.payload)).toMatchObject({ temperature: expect.any(Number) });

      const res = await fetch(`${url}/faults`, { method: 'POST', body: JSON.stringify({ target: 'chiller', fault: 'door_open', active: true }) });
      expect(res.status).toBe(200);
      await r.waitOut(/fault door_open on chiller: ACTIVE/);
      const bad = await fetch(`${url}/faults`, { method: 'POST', body: '{"target":"chiller"}' });
      expect(bad.status).toBe(400);

      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
      expect(r.out()).toMatch(/SIGTERM: stopping[\s\S]*stopped/);
      expect(r.err()).toBe('');
    } finally {
      if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await rec.close();
    }
  });

  it('bad flags are coded errors, not stack traces', async () => {
    const r = await runInProcess(['sim', '--mqtt-url', broker.url, '--fault', 'chiller:meltdown']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error SP_ERR_VALIDATION\n {2}--fault: unknown fault "meltdown"/);
    const u = await runInProcess(['sim', '--mqtt-url', broker.url, '--time-scale', 'fast']);
    expect(u.err).toMatch(/^error SP_ERR_VALIDATION\n {2}--time-scale: "fast" is not a number > 0/);
    const s = await runInProcess(['sim', '--scenario', 'brewery', '--mqtt-url', broker.url]);
    expect(s.err).toMatch(/^error SP_ERR_NOT_FOUND\n {2}--scenario: unknown scenario "brewery" \(known: bakery\)/);
  });

  it('--help shows examples', async () => {
    const r = await runInProcess(['sim', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/examples:[\s\S]*--fault chiller:compressor_failure/);
  });
});
