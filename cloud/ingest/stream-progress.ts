// What the cloud's /api/health and metrics say about the uplink streams (issue #11: health
// reports progress, not just connections). Pure, clock injected: MqttIngest tells it when a
// batch arrives and when it is acked; it answers how old the oldest batch received but not yet
// acked is, how often each has been tried, and per gateway how long its stream has not advanced
// while batches keep arriving. Per cloud instance (in memory): with a share group each instance
// sees the batches it was handed, which is the ones it could be stuck on.

export interface PendingBatch {
  gateway: string;
  stream: string;
  seq: number;
  firstAt: number;
  lastAt: number;
  attempts: number;
}

export interface GatewayProgress {
  gateway: string;
  /** batches of this gateway received and not acked */
  pending: number;
  /** age (s) of its oldest one; 0 when none */
  oldestUnackedSec: number;
  /** most attempts of one of its batches */
  attempts: number;
  /** seconds since its stream last advanced (an ack); undefined before the first */
  sinceAdvanceSec?: number;
  /** its oldest pending batch is older than the threshold */
  stalled: boolean;
  /** epoch ms its oldest pending batch first arrived (the stall's start) */
  stalledSince?: number;
}

export interface UplinkHealth {
  /** age (s) of the oldest batch received but not yet acked, over all gateways; 0 when none */
  oldestUnackedSec: number;
  stallAfterSec: number;
  stalled: string[];
  gateways: GatewayProgress[];
}

/** a pending batch not tried again for this long is forgotten (its gateway went away or moved to a new stream) */
const FORGET_MS = 15 * 60_000;

export class StreamProgress {
  private readonly pending = new Map<string, PendingBatch>();
  private readonly advancedAt = new Map<string, number>();

  constructor(private readonly stallAfterMs: number, private readonly now: () => number = Date.now) {}

  /** a batch arrived (first time or a resend); returns how many times it has been tried, this one included */
  arrived(gateway: string, stream: string, seq: number): number {
    const k = key(gateway, stream, seq);
    const at = this.now();
    const p = this.pending.get(k) ?? { gateway, stream, seq, firstAt: at, lastAt: at, attempts: 0 };
    p.lastAt = at;
    p.attempts++;
    this.pending.set(k, p);
    return p.attempts;
  }

  /** epoch ms this batch first arrived (it is still waiting to be decided), else undefined */
  firstArrival(gateway: string, stream: string, seq: number): number | undefined {
    return this.pending.get(key(gateway, stream, seq))?.firstAt;
  }

  /** the batch was acked (committed, duplicate or rejected): its stream advanced */
  acked(gateway: string, stream: string, seq: number): void {
    this.pending.delete(key(gateway, stream, seq));
    this.advancedAt.set(gateway, this.now());
  }

  health(): UplinkHealth {
    const at = this.now();
    const byGateway = new Map<string, PendingBatch[]>();
    for (const [k, p] of this.pending) {
      if (at - p.lastAt > FORGET_MS) { this.pending.delete(k); continue; }
      byGateway.set(p.gateway, [...(byGateway.get(p.gateway) ?? []), p]);
    }
    const gateways: GatewayProgress[] = [];
    for (const gw of new Set([...byGateway.keys(), ...this.advancedAt.keys()])) {
      const ps = byGateway.get(gw) ?? [];
      const first = ps.length ? Math.min(...ps.map((p) => p.firstAt)) : undefined;
      const adv = this.advancedAt.get(gw);
      const stalled = first !== undefined && at - first >= this.stallAfterMs;
      gateways.push({
        gateway: gw, pending: ps.length, oldestUnackedSec: first === undefined ? 0 : secs(at - first),
        attempts: Math.max(0, ...ps.map((p) => p.attempts)),
        ...(adv !== undefined ? { sinceAdvanceSec: secs(at - adv) } : {}),
        stalled, ...(stalled ? { stalledSince: first } : {}),
      });
    }
    gateways.sort((a, b) => a.gateway.localeCompare(b.gateway));
    return {
      oldestUnackedSec: Math.max(0, ...gateways.map((g) => g.oldestUnackedSec)),
      stallAfterSec: this.stallAfterMs / 1000,
      stalled: gateways.filter((g) => g.stalled).map((g) => g.gateway),
      gateways,
    };
  }
}

const key = (gateway: string, stream: string, seq: number) => `${gateway}\u0000${stream}\u0000${seq}`;
const secs = (ms: number) => Math.round(Math.max(0, ms) / 100) / 10;
