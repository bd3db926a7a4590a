import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { formatDuration } from '../alarm/messages.ts';

// Is this gateway's uplink stream advancing? (issue #11: health reports progress, not just a
// connection.) Stalled = something is waiting for the cloud and nothing has been acknowledged for
// longer than the threshold: since the later of the last ack (or the uplink's start) and the
// arrival of the oldest entry still waiting — a quiet gateway that just queued its first entry
// is not stalled. The cloud being unreachable counts: that is exactly when the local outputs must
// say so. Pure apart from the injected clock; the gateway ticks it every second and sends the
// `uplink_stalled` alert it returns through its alert path (outbox, local outputs), so it reaches
// the cloud once the link recovers.

export interface StallView {
  /** entries not yet acknowledged */
  depth: number;
  /** epoch ms the oldest of them was kept */
  oldestAt: number | undefined;
  /** epoch ms of the last ack, or of the uplink's start before the first */
  lastAdvanceAt: number;
}

/** ms the stream has not advanced while something waits (0 when nothing waits) */
export function stalledForMs(v: StallView, now: number): number {
  if (v.depth === 0 || v.oldestAt === undefined) return 0;
  return Math.max(0, now - Math.max(v.lastAdvanceAt, v.oldestAt));
}

export class UplinkStallWatch {
  private active: { id: string; since: number } | undefined;

  constructor(private readonly o: { gateway: string; stallAfterMs: number }) {}

  get stalled(): boolean {
    return this.active !== undefined;
  }

  /** the alert transition to send now, if any */
  check(v: StallView, now: number): AlertEvent | undefined {
    const forMs = stalledForMs(v, now);
    const zone = `gateway:${this.o.gateway}`;
    if (!this.active && forMs >= this.o.stallAfterMs) {
      const since = now - forMs;
      this.active = { id: `${zone}:uplink_stalled:${since}`, since };
      return {
        id: this.active.id, transition: 'raised', rule: 'uplink_stalled', zone, severity: 'critical', ts: now, since,
        value: Math.round(forMs / 1000), threshold: this.o.stallAfterMs / 1000,
        message: `gateway ${this.o.gateway}: nothing acknowledged by the cloud for ${formatDuration(forMs)} while ${v.depth} entries wait; readings, alerts and movements are kept on the gateway`,
      };
    }
    if (this.active && forMs < this.o.stallAfterMs) {
      const a = this.active;
      this.active = undefined;
      return {
        id: a.id, transition: 'cleared', rule: 'uplink_stalled', zone, severity: 'critical', ts: now, since: a.since,
        value: Math.round((now - a.since) / 1000),
        message: `gateway ${this.o.gateway}: the uplink advances again after ${formatDuration(now - a.since)}`,
      };
    }
    return undefined;
  }
}
