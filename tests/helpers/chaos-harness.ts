import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../simulators/free-port.ts';

// The moving parts of the chaos run, each a real process or socket that can be killed:
// a Mosquitto broker with on-disk persistence, a TCP proxy that can cut the uplink, and the
// gateway as its own `stockpulse edge` process (so kill -9 is a real kill -9).

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function waitPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

export interface MosquittoOptions {
  /** QoS 1 messages in flight to one client (max_inflight_messages; Mosquitto's default is 20) */
  maxInflight?: number;
  /**
   * max_queued_messages / max_queued_bytes per client. Sizing: the gateway must be able to be
   * away (kill -9, restart) for the whole run without the broker dropping its frames, so the
   * queue holds every message a test publishes (≤ 200 000 frames of < 100 bytes, with margin).
   * `'defaults'` leaves both unset: Mosquitto's own 1000 messages (what a stock install does).
   */
  queue?: { maxMessages: number; maxBytes: number } | 'defaults';
  /** seconds between $SYS updates (the drop counter the gateway watches); Mosquitto's default is 10 */
  sysInterval?: number;
  /** logins from a password file and topics from an ACL file (`stockpulse gateway mosquitto`); default anonymous */
  auth?: { passwordFile: string; aclFile: string };
}

/** A private Mosquitto on a free port; restart() is SIGTERM (it saves sessions and queues) + start. */
export async function startMosquitto(dir: string, o: MosquittoOptions = {}): Promise<Mosquitto> {
  const queue = o.queue ?? { maxMessages: 500_000, maxBytes: 256 * 1024 * 1024 };
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    ...(o.auth ? ['allow_anonymous false', `password_file ${o.auth.passwordFile}`, `acl_file ${o.auth.aclFile}`] : ['allow_anonymous true']),
    'persistence true',
    `persistence_location ${dir}/`,
    // queue a whole run for a gateway that is away (Mosquitto's default is 1000 messages, then drop)
    ...(queue === 'defaults' ? [] : [`max_queued_messages ${queue.maxMessages}`, `max_queued_bytes ${queue.maxBytes}`]),
    `max_inflight_messages ${o.maxInflight ?? 100}`,
    ...(o.sysInterval !== undefined ? [`sys_interval ${o.sysInterval}`] : []),
    `log_dest file ${dir}/mosquitto.log`,
    // Started as root, Mosquitto drops to the `mosquitto` user by default, which cannot write
    // into our root-owned temp dir: no mosquitto.db, no log, and every restart silently threw
    // away the gateway's persistent session with its queued and in-flight QoS 1 frames (the
    // chaos run's "lost" chunks). Run as whoever runs the test; `user` is ignored if not root.
    `user ${userInfo().username}`,
  ].join('\n') + '\n');
  let proc: ChildProcess;
  const start = async () => {
    // stderr kept: it is where Mosquitto says it cannot open its files
    const err = openSync(join(dir, 'mosquitto.stderr'), 'a');
    proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', err] });
    closeSync(err);
    await waitPort(port);
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    restart: async () => {
      proc.kill('SIGTERM');
      await exited(proc);
      await start();
    },
    stop: async () => {
      proc.kill('SIGTERM');
      await exited(proc);
    },
  };
}

/** A TCP proxy in front of the broker for the uplink; cut() drops every connection and refuses new ones. */
export interface CuttableLink {
  url: string;
  cut(forMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCuttableLink(targetPort: number): Promise<CuttableLink> {
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) { client.destroy(); return; }
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client); sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop); upstream.on('error', drop); client.on('close', drop); upstream.on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut: async (forMs) => {
      down = true;
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, forMs));
      down = false;
    },
    close: () => new Promise<void>((r) => { down = true; for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** `stockpulse edge --config FILE` as a child process; its JSON log lines are kept in logFile. */
export interface GatewayProcess {
  kill9(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  runs: number;
  /** how the last started process ended ('running' while it runs): for a failing test's message */
  state(): string;
}

export function gatewayProcess(configFile: string, logFile: string): GatewayProcess {
  const bin = new URL('../../bin/stockpulse.js', import.meta.url).pathname;
  const log = createWriteStream(logFile, { flags: 'a' });
  let proc: ChildProcess | undefined;
  const g: GatewayProcess = {
    runs: 0,
    start: async () => {
      proc = spawn(process.execPath, [bin, 'edge', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
      proc.stdout!.pipe(log, { end: false });
      proc.stderr!.pipe(log, { end: false });
      g.runs++;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('gateway did not start in 20 s')), 20_000);
        proc!.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('gateway started')) { clearTimeout(t); resolve(); } });
        proc!.once('exit', (code) => { clearTimeout(t); reject(new Error(`gateway exited with ${code}`)); });
      });
    },
    kill9: async () => {
      if (!proc) return;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    stop: async () => {
      if (!proc) return;
      proc.kill('SIGTERM');
      await exited(proc);
      log.end();
    },
    state: () => (!proc ? 'never started' : proc.exitCode === null && proc.signalCode === null ? 'running' : `exited (${proc.signalCode ?? `code ${proc.exitCode}`})`),
  };
  return g;
}
