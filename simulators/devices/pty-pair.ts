import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpError } from '../../protocols/errors.ts';

// A pair of linked pseudo-terminals made by socat: what one end writes, the other reads, with
// real tty semantics (termios, baud-rate calls, close on hang-up). The simulated scale opens one
// end, the gateway the other — the same code path as a USB-serial adapter, no mock binding.

export function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export interface PtyPair {
  /** the end the simulated device opens */
  devicePath: string;
  /** the end the gateway opens (its config's `path`) */
  hostPath: string;
  /** kills socat: both ends hang up, like pulling the cable */
  close(): Promise<void>;
}

export async function openPtyPair(dir = mkdtempSync(join(tmpdir(), 'sp-pty-')), names = { device: 'device', host: 'host' }): Promise<PtyPair> {
  if (!hasSocat()) throw new SpError('SP_ERR_DEVICE', { field: 'socat', reason: 'socat is not installed (apt-get install socat): simulated serial devices need it' });
  mkdirSync(dir, { recursive: true });
  const devicePath = join(dir, names.device);
  const hostPath = join(dir, names.host);
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += d; });
  const until = Date.now() + 5000;
  while (!(existsSync(devicePath) && existsSync(hostPath))) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill();
      throw new SpError('SP_ERR_DEVICE', { field: 'socat', reason: `could not create the pty pair: ${stderr.trim() || 'timed out'}` });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  let closed = false;
  return {
    devicePath,
    hostPath,
    close: async () => {
      if (closed) return;
      closed = true;
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
