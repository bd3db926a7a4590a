import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../../edge/broker/embedded-broker.ts';

// The broker for end-to-end benchmarks: the real Mosquitto of this machine on a free loopback
// port (what a small production site runs); aedes (the embedded broker) when Mosquitto is absent.

export interface BenchBroker { url: string; kind: string; /** the broker's process (Mosquitto), for CPU accounting */ pid?: number; close(): Promise<void> }

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

export async function startBenchBroker(): Promise<BenchBroker> {
  if (!MOSQUITTO) {
    const b = await startEmbeddedBroker();
    return { url: b.url, kind: 'aedes (embedded; mosquitto not installed)', close: () => b.close() };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sp-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  // No persistence, no per-client queue limit that would drop a burst of QoS 1 batches.
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    'max_inflight_messages 0', 'max_queued_messages 0', 'log_type error',
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
