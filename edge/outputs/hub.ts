import type { Logger } from 'pino';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { SEVERITY_RANK, type AlarmOutput } from './types.ts';

// Fans each alert transition out to the local outputs. push() is synchronous and never throws,
// so the alarm pipeline is never held up by a siren or a webhook; each output's result is
// awaited on its own, counted and logged, and one failing output never stops another.

export interface OutputEntry {
  output: AlarmOutput;
  minSeverity: keyof typeof SEVERITY_RANK;
  zones?: readonly string[];
}

export interface OutputCounters {
  delivered: number;
  failures: number;
  lastError?: { message: string; at: number };
}

export class OutputHub {
  private readonly counters = new Map<AlarmOutput, OutputCounters>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly entries: readonly OutputEntry[], private readonly log: Logger) {
    for (const e of entries) this.counters.set(e.output, { delivered: 0, failures: 0 });
  }

  push(alert: AlertEvent): void {
    for (const e of this.entries) {
      if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[e.minSeverity]) continue;
      if (e.zones && !e.zones.includes(alert.zone)) continue;
      const c = this.counters.get(e.output)!;
      let p: Promise<void>;
      try {
        p = e.output.deliver(alert);
      } catch (err) {
        p = Promise.reject(err);
      }
      const done = p.then(() => { c.delivered++; }, (err: unknown) => {
        c.failures++;
        const message = err instanceof Error ? err.message : String(err);
        c.lastError = { message, at: Date.now() };
        this.log.warn({ output: e.output.name, type: e.output.type, alert: alert.id, transition: alert.transition, err: message }, 'local alarm output failed');
      }).finally(() => this.pending.delete(done));
      this.pending.add(done);
    }
  }

  status(): Record<string, OutputCounters & Record<string, unknown>> {
    const out: Record<string, OutputCounters & Record<string, unknown>> = {};
    for (const e of this.entries) {
      let own: Record<string, unknown>;
      try { own = e.output.status(); } catch (err) { own = { statusError: (err as Error).message }; }
      out[e.output.name] = { type: e.output.type, ...own, ...this.counters.get(e.output)! };
    }
    return out;
  }

  /** Gives deliveries in flight up to `drainMs`, then closes every output. */
  async close(drainMs = 2000): Promise<void> {
    if (this.pending.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise<void>((r) => { timer = setTimeout(r, drainMs); }),
      ]);
      clearTimeout(timer);
    }
    await Promise.allSettled(this.entries.map((e) => e.output.close()));
  }
}
