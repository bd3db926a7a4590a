import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

// `stockpulse cloud` as a child process (so kill -9 is a real kill -9), configured through the
// environment like a production instance. Its JSON log lines are kept in logFile.

export interface CloudProcess {
  name: string;
  url: string;
  pid: number;
  /** the origin its live-update events carry (host:pid) */
  origin?: string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  /** one counter from its GET /metrics */
  metric(name: string): Promise<number>;
}

const exited = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r()));

export async function startCloudProcess(name: string, port: number, env: Record<string, string>, logFile: string): Promise<CloudProcess> {
  const bin = new URL('../../bin/stockpulse.js', import.meta.url).pathname;
  const log = createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(process.execPath, [bin, 'cloud'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // PGAPPNAME names this instance's database sessions (pg_stat_activity.application_name)
    env: { ...process.env, LOG_LEVEL: 'info', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), PGAPPNAME: name, ...env },
  });
  proc.stdout!.pipe(log, { end: false });
  proc.stderr!.pipe(log, { end: false });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} did not start in 30 s (log: ${logFile})`)), 30_000);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('cloud ready')) { clearTimeout(t); resolve(); }
    });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${name} exited with ${code} (log: ${logFile})`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    name, url, pid: proc.pid!,
    kill9: async () => { proc.kill('SIGKILL'); await exited(proc); },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited(proc);
      log.end();
    },
    metric: async (metric) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    },
  };
}
