import { describe, expect, it } from 'vitest';
import { stalledForMs, UplinkStallWatch } from '../../../edge/uplink/stall.ts';

// The edge's "is the stream advancing" rule, stepped by hand: stalled only while something waits
// and nothing was acknowledged for the threshold; raised once, cleared once, same id.

describe('uplink stall on the edge', () => {
  it('a quiet gateway is not stalled; a new entry after a long quiet starts the clock then', () => {
    expect(stalledForMs({ depth: 0, oldestAt: undefined, lastAdvanceAt: 0 }, 1_000_000)).toBe(0);
    expect(stalledForMs({ depth: 3, oldestAt: 999_000, lastAdvanceAt: 0 }, 1_000_000)).toBe(1000);
    expect(stalledForMs({ depth: 3, oldestAt: 0, lastAdvanceAt: 990_000 }, 1_000_000)).toBe(10_000);
  });

  it('raises uplink_stalled past the threshold and clears it when an ack comes', () => {
    const w = new UplinkStallWatch({ gateway: 'gw1', stallAfterMs: 60_000 });
    const waiting = { depth: 5, oldestAt: 1_000, lastAdvanceAt: 0 };
    expect(w.check(waiting, 30_000)).toBeUndefined();
    const raised = w.check(waiting, 61_000)!;
    expect(raised).toMatchObject({ transition: 'raised', rule: 'uplink_stalled', zone: 'gateway:gw1', severity: 'critical', since: 1_000, value: 60 });
    expect(w.stalled).toBe(true);
    expect(w.check(waiting, 90_000)).toBeUndefined(); // once
    const cleared = w.check({ depth: 2, oldestAt: 95_000, lastAdvanceAt: 100_000 }, 100_000)!;
    expect(cleared).toMatchObject({ id: raised.id, transition: 'cleared', since: 1_000 });
    expect(w.stalled).toBe(false);
  });
});
