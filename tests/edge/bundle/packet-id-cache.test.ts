import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundledProbe } from './bundled-probe.ts';

// mqtt-packet's cache of 65 536 packet-id Buffers is ~6 MB of a gateway's heap for its whole
// life (edge/broker/packet-id-cache.ts). The edge switches it off before its broker client or
// its embedded broker writes a packet; a device's own client in the same process does not
// switch it back on. Its own process, since the cache is module state of that process.

const probe = bundledProbe(new URL('./packet-id-probe.ts', import.meta.url), 'sp-packet-id-');

describe('the edge\'s MQTT packets', () => {
  it('go through the embedded broker at QoS 1 without mqtt-packet building its packet-id cache', () => {
    const r = spawnSync(process.execPath, [probe()], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ payload: '{"value":1}', cached: 0 });
  });
});
