import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { backoffDelay, type BackoffOptions } from '../../protocols/driver.ts';
import { redactUrl } from '../broker/redact.ts';
import type { AlarmOutput } from './types.ts';
import { SpError } from '../../protocols/errors.ts';

// POSTs each alert transition as JSON to a receiver on the LAN (a building management system,
// a local pager gateway). Deliveries go one at a time in order, retried with capped jittered
// backoff; the waiting line is bounded (oldest dropped and counted), so a dead receiver costs
// memory for `maxQueue` alerts at most and never slows the alarm pipeline.

export interface WebhookOptions {
  name: string;
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoff: BackoffOptions;
  maxQueue: number;
  gateway: { id: string; site: string };
  log: Logger;
}

/** Same field names as the cloud's generic webhook body, so one receiver handles both. */
export function localAlertBody(gateway: { id: string; site: string }, a: AlertEvent) {
  return {
    type: 'stockpulse.alert',
    source: 'edge',
    transition: a.transition,
    alert: {
      id: a.id, rule: a.rule, severity: a.severity, zone: a.zone, sensor: a.sensor ?? null,
      gateway: gateway.id, site: gateway.site, message: a.message,
      value: a.value ?? null, threshold: a.threshold ?? null,
      since: new Date(a.since).toISOString(), at: new Date(a.ts).toISOString(),
    },
  };
}

class PermanentFailure extends Error {}

interface Waiting { alert: AlertEvent; resolve: () => void; reject: (e: Error) => void }

export class WebhookOutput implements AlarmOutput {
  readonly type = 'webhook';
  readonly name: string;
  private readonly queue: Waiting[] = [];
  private pumping = false;
  private readonly closing = new AbortController();
  private sent = 0;
  private attempts = 0;
  private dropped = 0;

  /** the URL without userinfo (fetch refuses credentials in URLs) and the matching Basic header */
  private readonly target: { url: string; headers: Record<string, string> };

  constructor(private readonly o: WebhookOptions) {
    this.name = o.name;
    const u = new URL(o.url);
    const headers: Record<string, string> = {};
    if (u.username || u.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    this.target = { url: u.toString(), headers: { ...headers, ...o.headers } };
  }

  deliver(alert: AlertEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closing.signal.aborted) return reject(new Error('output closed'));
      if (this.queue.length >= this.o.maxQueue) {
        const oldest = this.queue.shift()!;
        this.dropped++;
        oldest.reject(new Error(`dropped: ${this.o.maxQueue} transitions already waiting for ${redactUrl(this.o.url)}`));
      }
      this.queue.push({ alert, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          await this.send(next.alert);
          this.sent++;
          next.resolve();
        } catch (e) {
          next.reject(e as Error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async send(alert: AlertEvent): Promise<void> {
    const body = JSON.stringify(localAlertBody(this.o.gateway, alert));
    const where = redactUrl(this.o.url);
    let last: Error = new Error('not sent');
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt, this.o.backoff), undefined, { signal: this.closing.signal }).catch(() => {});
      if (this.closing.signal.aborted) throw new SpError('SP_ERR_DELIVERY', { field: 'output', reason: 'closed before delivery' }, 'output closed before delivery');
      this.attempts++;
      try {
        const res = await fetch(this.target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.target.headers },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.closing.signal]),
        });
        await res.arrayBuffer().catch(() => undefined); // free the socket for reuse
        if (res.ok) return;
        // A 4xx other than timeout / rate limit will not improve by asking again.
        const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
        last = new (permanent ? PermanentFailure : Error)(`${where} answered HTTP ${res.status}`);
        if (permanent) throw last;
      } catch (e) {
        if (e instanceof PermanentFailure) throw e;
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        const reason = (e as Error).name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : cause ?? (e as Error).message;
        last = new Error(`${where}: ${reason}`);
      }
      this.o.log.debug({ output: this.name, attempt: attempt + 1, err: last.message }, 'webhook attempt failed');
    }
    throw new SpError('SP_ERR_DELIVERY', { field: 'url', reason: `${last.message} (after ${this.o.retries + 1} attempts)` }, `${last.message} (after ${this.o.retries + 1} attempts)`);
  }

  status(): Record<string, unknown> {
    return { url: redactUrl(this.o.url), queued: this.queue.length, sent: this.sent, attempts: this.attempts, dropped: this.dropped };
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const w of this.queue.splice(0)) w.reject(new Error('output closed'));
  }
}
