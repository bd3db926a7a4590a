import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundledProbe } from './bundled-probe.ts';

// The edge bundle routes `debug` to edge/bundle/quiet-debug.cjs: mqtt-packet's per-packet log
// calls cost nothing unless DEBUG is set, and with DEBUG set a site still gets the real log.
// Built with the bundler the gateway ships with, run as its own node process.

const probe = bundledProbe(new URL('./debug-probe.ts', import.meta.url), 'sp-quiet-debug-');

function run(env: Record<string, string>) {
  const env0 = { ...process.env };
  delete env0.DEBUG;
  const r = spawnSync(process.execPath, [probe()], { env: { ...env0, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout) as { topic: string; parserLogOn: boolean; quiet: boolean }, stderr: r.stderr };
}

describe('the edge bundle\'s debug', () => {
  it('without DEBUG: packets parse, and the parser logs nothing', () => {
    const { out, stderr } = run({});
    expect(out).toEqual({ topic: 'probe/t', parserLogOn: false, quiet: true });
    expect(stderr).toBe('');
  });

  it('with DEBUG=mqtt-packet:*: the real debug prints the parser\'s log', () => {
    const { out, stderr } = run({ DEBUG: 'mqtt-packet:*' });
    expect(out).toEqual({ topic: 'probe/t', parserLogOn: true, quiet: false });
    expect(stderr).toContain('mqtt-packet:parser');
  });
});
