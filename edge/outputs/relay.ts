import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { backoffDelay, type BackoffOptions } from '../../protocols/driver.ts';
import type { RelayDriver } from './relay-drivers.ts';
import type { AlarmOutput } from './types.ts';

// A siren/beacon relay: ON while at least one (filtered) alarm is active, OFF when none is.
// The set of active alarms changes synchronously in deliver(); switching is serialised and
// always drives the relay to the state wanted at that moment, so a burst of transitions ends
// in the right state even if some switch attempts failed or were skipped.

export interface RelayOptions {
  name: string;
  driver: RelayDriver;
  retries: number;
  backoff: BackoffOptions;
  log: Logger;
}

export class RelayOutput implements AlarmOutput {
  readonly type = 'relay';
  readonly name: string;
  private readonly active = new Set<string>();
  /** the state last confirmed by the driver; undefined = unknown (start, or after a failure) */
  private applied: boolean | undefined;
  private chain: Promise<void> = Promise.resolve();
  private switches = 0;
  private closed = false;

  constructor(private readonly o: RelayOptions) {
    this.name = o.name;
  }

  /** Drives the relay OFF (no alarm is active when the gateway starts); does not wait for it. */
  async start(): Promise<void> {
    this.sync().catch((e: Error) => this.o.log.warn({ output: this.name, err: e.message }, 'relay could not be set at start; will retry on the next alarm'));
  }

  deliver(a: AlertEvent): Promise<void> {
    if (a.transition === 'raised') this.active.add(a.id);
    else this.active.delete(a.id);
    return this.sync();
  }

  get state(): 'on' | 'off' | 'unknown' {
    return this.applied === undefined ? 'unknown' : this.applied ? 'on' : 'off';
  }

  private sync(): Promise<void> {
    const run = this.chain.then(() => this.apply());
    this.chain = run.catch(() => {});
    return run;
  }

  private async apply(): Promise<void> {
    for (let failures = 0; !this.closed;) {
      const want = this.active.size > 0;
      if (want === this.applied) return;
      try {
        await this.o.driver.set(want);
        this.applied = want;
        this.switches++;
        this.o.log.info({ output: this.name, relay: this.state, activeAlarms: this.active.size }, `relay ${this.name} switched ${this.state}`);
      } catch (e) {
        this.applied = undefined;
        if (++failures > this.o.retries) throw e;
        await sleep(backoffDelay(failures, this.o.backoff));
      }
    }
  }

  status(): Record<string, unknown> {
    return { driver: this.o.driver.type, state: this.state, activeAlarms: this.active.size, switches: this.switches };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.o.driver.close();
  }
}
