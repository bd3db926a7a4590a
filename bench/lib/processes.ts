import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds } from './proc-cpu.ts';

// `stockpulse edge` and `stockpulse cloud` as their own processes for the end-to-end benches, as
// an installer runs them: the edge from its bundle with the heap capped as docs/deploy.md says
// when `npm run build:edge` has been run, else from bin/stockpulse.js (tsx); the cloud from
// bin/stockpulse.js. Each is reported with its peak RSS (VmHWM) before it stops.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/stockpulse.js`;
const BUNDLE = `${ROOT}dist/edge/stockpulse-edge.mjs`;
/** STOCKPULSE_BENCH_CPU_PROF=DIR: each process writes a V8 CPU profile there (bench/lib/profile-summary.ts reads it) */
const PROF = process.env.STOCKPULSE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STOCKPULSE_BENCH_CPU_PROF}`] : [];

export interface BenchProcess {
  pid: number;
  /** how it was launched (for the result file) */
  launch: string;
  /** peak resident set so far, MiB (VmHWM; Linux) */
  peakRssMiB(): number | undefined;
  /** CPU time it has used so far, user + system, seconds (Linux /proc; undefined elsewhere) */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

function vm(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function started(name: string, proc: ChildProcess, marker: string, timeoutMs = 60_000): Promise<void> {
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs / 1000} s:\n${out.slice(-2000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) { clearTimeout(t); resolve(); }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${name} exited with ${code}:\n${out.slice(-2000)}`)); });
  });
}

function handle(proc: ChildProcess, launch: string): BenchProcess {
  // keep reading its output (a full pipe would stall it); errors are kept for the report
  proc.stdout!.resume();
  proc.stderr!.resume();
  return {
    pid: proc.pid!,
    launch,
    peakRssMiB: () => vm(proc.pid!, 'VmHWM'),
    cpuSeconds: () => processCpuSeconds(proc.pid!),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The gateway box's environment besides its node flags (docs/deploy.md, the systemd unit): glibc
 * makes a malloc arena per thread that allocates (libuv's pool, V8's GC and compiler threads), each
 * holding on to what it freed; two arenas measured 114.4–119.3 MiB peak RSS in the drain (7 runs,
 * mean 116) against 117.5–123.4 without (7 runs, mean 120.5; bench/drain.ts, 600 k readings, same
 * box), at the same rate.
 */
export const EDGE_BOX_ENV = { MALLOC_ARENA_MAX: '2' };
/** EDGE_BOX_ENV as a launch line says it */
export const EDGE_BOX_ENV_TEXT = Object.entries(EDGE_BOX_ENV).map(([k, v]) => `${k}=${v}`).join(' ');

export async function startEdgeProcess(configFile: string): Promise<BenchProcess> {
  const bundled = existsSync(BUNDLE);
  const args = [...PROF, ...(bundled ? ['--max-old-space-size=64', '--max-semi-space-size=2', BUNDLE, '--config', configFile] : [BIN, 'edge', '--config', configFile])];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(bundled ? EDGE_BOX_ENV : {}), LOG_LEVEL: 'info' } });
  await started('stockpulse edge', proc, 'gateway started');
  return handle(proc, bundled ? `dist/edge bundle, --max-old-space-size=64, ${EDGE_BOX_ENV_TEXT}` : 'bin/stockpulse.js edge (tsx; run npm run build:edge for the bundled build)');
}

/**
 * The cloud's node flags as docs/deploy.md runs it. A young generation of 32 MB (V8's default
 * semi-space is 16 MB on 64-bit): a batch's parsed readings live until its group commits, tens of
 * ms, and with 16 MB they were scavenged several times and promoted before they died.
 * bench/ingest.ts --e2e-only, interleaved on one box: the cloud's CPU per 2 000-reading batch
 * 7.7–8.4 ms at 32 MB, 9.1–9.2 at 64, 10.0–10.3 at 16, 10.2–11.3 at 128 (2 runs each); 64 against
 * none, 3 pairs: 9.2–12.6 against 11.7–15.0 (bench/README.md, "The cloud's young generation").
 */
export const CLOUD_NODE_FLAGS = ['--max-semi-space-size=32'];

/**
 * Runs this script again with CLOUD_NODE_FLAGS when it was started without them, for a bench that
 * hosts the cloud in its own process (bench/ingest.ts): resolves when this process already has
 * them, else never (this process exits with the code of the one it started).
 */
export async function withCloudNodeFlags(): Promise<void> {
  const have = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (CLOUD_NODE_FLAGS.every((f) => have.includes(f))) return;
  const child = spawn(process.execPath, [...CLOUD_NODE_FLAGS, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  process.exit(code);
}

export async function startCloudProcess(env: Record<string, string>): Promise<BenchProcess> {
  const proc = spawn(process.execPath, [...PROF, ...CLOUD_NODE_FLAGS, BIN, 'cloud'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', ...env },
  });
  // at LOG_LEVEL warn the ready line is not logged: wait for the HTTP port instead
  const port = env.HTTP_PORT;
  const until = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`stockpulse cloud exited with ${proc.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > until) throw new Error('stockpulse cloud did not answer in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return handle(proc, `bin/stockpulse.js cloud (tsx), ${CLOUD_NODE_FLAGS.join(' ')}`);
}

/**
 * Polls a growing count until it reaches `target`; resolves with the time it was seen there
 * (performance.now()). Each /metrics render costs the polled process ~2 ms of CPU (the cloud's
 * profile while draining: prom-client, the event-loop histogram, memoryUsage), which a site's
 * scraper pays every 15 s and a 20 ms poll 50 times a second. So the interval follows the count:
 * half the time its latest rate says is left, between 5 and `maxWaitMs`. Far from the end the
 * process is left alone; near it the poll is as fine as before. The end is only ever seen late,
 * never early: a count that jumps to its target right after a poll is seen up to one wait later,
 * so a figure that needs the end to the 20 ms (device-path.ts: a short tail after the publish,
 * in group-commit jumps) passes 20.
 */
export async function countReaches(read: () => Promise<number>, target: number, what: string, timeoutMs: number, maxWaitMs = 250): Promise<number> {
  const end = Date.now() + timeoutMs;
  let prev: { n: number; t: number } | undefined;
  for (;;) {
    const n = await read();
    const t = performance.now();
    if (n >= target) return t;
    if (Date.now() > end) throw new Error(`${what}: ${n} of ${target} after ${timeoutMs / 1000} s`);
    const perMs = prev && t > prev.t ? (n - prev.n) / (t - prev.t) : 0;
    const left = perMs > 0 ? (target - n) / perMs : Infinity;
    prev = { n, t };
    await new Promise((r) => setTimeout(r, Math.min(maxWaitMs, Math.max(5, left / 2))));
  }
}

/** one counter from a process's GET /metrics */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
