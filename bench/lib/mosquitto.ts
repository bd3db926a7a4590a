import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../../edge/broker/embedded-broker.ts';

// The broker for end-to-end benchmarks: the real Mosquitto of this machine on a free loopback
// port (what a small production site runs); aedes (the embedded broker) when Mosquitto is absent.

export interface BenchBroker { url: string; kind: string; /** the broker's process (Mosquitto), for CPU accounting */ pid?: number; close(): Promise<void> }

export interface BenchBrokerOptions {
  /** QoS 1/2 messages in flight to one client (Mosquitto default 20; 0 = no limit) */
  maxInflight?: number;
  /**
   * Messages queued per client above those in flight. Sizing: everything one run publishes to one
   * subscriber (a bench gateway that falls behind must not lose part of the run silently).
   */
  maxQueuedMessages?: number;
  /** the same limit in payload bytes (0 = only the message count applies) */
  maxQueuedBytes?: number;
}

/** `mosquitto -h`'s first line, e.g. "mosquitto version 2.0.11" (read at run time, for the result files) */
export function mosquittoVersion(): string | undefined {
  if (!MOSQUITTO) return undefined;
  const r = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' });
  return /mosquitto version \S+/.exec(`${r.stdout}${r.stderr}`)?.[0];
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error('mosquitto did not listen in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startBenchBroker(o: BenchBrokerOptions = {}): Promise<BenchBroker> {
  if (!MOSQUITTO) {
    const b = await startEmbeddedBroker();
    return { url: b.url, kind: 'aedes (embedded; mosquitto not installed)', close: () => b.close() };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sp-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  // No persistence. Queue limits: the benches' subscribers (the cloud's ingest, a bench gateway)
  // may lag a burst by a whole run, so by default nothing is capped (0) — a bench that dropped
  // part of its load silently would report a rate for work never done. Callers that know their
  // run's size pass it (docs/deploy.md has the production sizing).
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    `max_inflight_messages ${o.maxInflight ?? 0}`, `max_queued_messages ${o.maxQueuedMessages ?? 0}`, `max_queued_bytes ${o.maxQueuedBytes ?? 0}`,
    // as docs/deploy.md configures the cloud's broker: without it every small packet (a PUBACK, an
    // ack) may wait up to 40 ms for the TCP ACK of the one before
    'set_tcp_nodelay true',
    'log_type error',
  ].join('\n') + '\n');
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    kind: `mosquitto (${MOSQUITTO})`,
    ...(child.pid ? { pid: child.pid } : {}),
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
