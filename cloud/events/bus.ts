import { hostname } from 'node:os';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/engine.ts';

// Live-update events shared by every cloud instance through PostgreSQL LISTEN/NOTIFY: the
// instance that commits a batch NOTIFYs, every instance (itself included) LISTENs and hands
// the event to its browsers. So a dashboard sees a batch whichever instance took it from the
// broker and whichever instance the load balancer sent the browser to — no sticky sessions,
// no broker of our own. On PGlite (one process) the same NOTIFY reaches the in-process listener.
//
// Events say "something changed, refresh"; they carry counts, never the data, so a missed one
// costs one refresh: a listener that reconnects emits `resync` and browsers reload everything.

export const EVENTS_CHANNEL = 'stockpulse_events';

export interface CloudEvent {
  /** ingest: batches committed since the last event; resync: events may have been missed */
  type: 'ingest' | 'resync';
  /** instance that produced the event (`host:pid`) */
  origin: string;
  /** epoch ms */
  at: number;
  gateways?: string[];
  zones?: string[];
  /** zones a gateway declared in a manifest: the only ones that can be new to a dashboard */
  manifestZones?: string[];
  batches?: number;
  readings?: number;
  alerts?: number;
  devices?: number;
  movements?: number;
}

export interface IngestSummary {
  gateway: string;
  zones: string[];
  /** the zones of the batch's manifest, when it carried one (alerts and movements name zones too, not new ones) */
  manifestZones?: string[];
  readings: number;
  alerts: number;
  devices: number;
  movements: number;
}

export interface EventBus {
  readonly origin: string;
  /** counts a committed batch; summaries are NOTIFYed at most every `coalesceMs` */
  ingested(s: IngestSummary): void;
  /** listener for events from every instance; returns the unsubscribe */
  subscribe(fn: (e: CloudEvent) => void): () => void;
  /** sends what is pending and stops listening */
  stop(): Promise<void>;
}

export interface EventBusOptions {
  db: Db;
  log: Logger;
  origin?: string;
  /** a busy site commits hundreds of batches a second; one NOTIFY per window is enough for screens */
  coalesceMs?: number;
}

// NOTIFY payloads are capped at 8000 bytes: long id lists are cut (the counts stay exact).
const MAX_IDS = 50;

// engine.ts keeps its PGlite instance / pg.Pool private; the drizzle instance on the same
// connection(s) exposes it as `$client`, which is what we LISTEN through.
export async function startEventBus(o: EventBusOptions): Promise<EventBus> {
  const origin = o.origin ?? `${hostname()}:${process.pid}`;
  const coalesceMs = o.coalesceMs ?? 250;
  const listeners = new Set<(e: CloudEvent) => void>();
  const dispatch = (e: CloudEvent) => {
    for (const fn of listeners) {
      try { fn(e); } catch (err) { o.log.warn({ err: (err as Error).message }, 'event listener failed'); }
    }
  };
  const onPayload = (payload: string) => {
    try { dispatch(JSON.parse(payload) as CloudEvent); } catch { o.log.warn('unreadable event payload ignored'); }
  };
  const client = (o.db.orm as unknown as { $client?: unknown } | undefined)?.$client;
  const listener: Listener = !client
    // a Db not opened by engine.ts (no driver to listen on): events still go out, none come in
    ? (o.log.warn('no database driver to LISTEN on; live updates from other instances are off'), { close: async () => {} })
    : o.db.engine === 'pglite'
      ? await listenPglite(client as PGlite, onPayload)
      : await listenPostgres(client as pg.Pool, onPayload, o.log, () => dispatch({ type: 'resync', origin, at: Date.now() }));

  let pending: { gateways: Set<string>; zones: Set<string>; manifestZones: Set<string>; batches: number; readings: number; alerts: number; devices: number; movements: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sending = Promise.resolve();
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const p = pending;
    pending = undefined;
    if (!p) return sending;
    const e: CloudEvent = {
      type: 'ingest', origin, at: Date.now(),
      gateways: [...p.gateways].slice(0, MAX_IDS), zones: [...p.zones].slice(0, MAX_IDS), manifestZones: [...p.manifestZones].slice(0, MAX_IDS),
      batches: p.batches, readings: p.readings, alerts: p.alerts, devices: p.devices, movements: p.movements,
    };
    // After the commit, not inside it: store-batch owns the transaction. A crash between the
    // two loses one event; the next one (or the dashboard's own refresh timer) catches up.
    sending = sending.then(() => o.db.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify(e)]))
      .then(() => undefined, (err: Error) => { o.log.warn({ err: err.message }, 'event NOTIFY failed'); });
    return sending;
  };

  return {
    origin,
    ingested(s) {
      pending ??= { gateways: new Set(), zones: new Set(), manifestZones: new Set(), batches: 0, readings: 0, alerts: 0, devices: 0, movements: 0 };
      pending.gateways.add(s.gateway);
      for (const z of s.zones) pending.zones.add(z);
      for (const z of s.manifestZones ?? []) pending.manifestZones.add(z);
      pending.batches++;
      pending.readings += s.readings;
      pending.alerts += s.alerts;
      pending.devices += s.devices;
      pending.movements += s.movements;
      timer ??= setTimeout(flush, coalesceMs);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async stop() {
      await flush();
      listeners.clear();
      await listener.close();
    },
  };
}

interface Listener { close(): Promise<void> }

/** PGlite is one in-process connection: its own listen() receives what pg_notify sends. */
async function listenPglite(lite: PGlite, onPayload: (p: string) => void): Promise<Listener> {
  const unlisten = await lite.listen(EVENTS_CHANNEL, onPayload);
  return { close: async () => { if (!lite.closed) await unlisten(); } };
}

/**
 * PostgreSQL: LISTEN needs a connection of its own for as long as we listen, so it is a
 * dedicated client (same settings as the pool, outside it: it never starves the queries).
 * A dropped connection (server restart, pg_terminate_backend) is reopened with capped backoff,
 * and `onResync` tells browsers to reload since events may have gone by meanwhile.
 */
async function listenPostgres(pool: pg.Pool, onPayload: (p: string) => void, log: Logger, onResync: () => void): Promise<Listener> {
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 500;
  let retry: NodeJS.Timeout | undefined;

  const open = async (): Promise<void> => {
    const c = new pg.Client(pool.options);
    c.on('notification', (n) => { if (n.channel === EVENTS_CHANNEL && n.payload) onPayload(n.payload); });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (e) {
      c.end().catch(() => {});
      throw e;
    }
    client = c;
    retryMs = 500;
  };
  const lost = (c: pg.Client) => {
    if (closed || client !== c) return;
    client = undefined;
    c.end().catch(() => {});
    log.warn('event listener lost its database connection; reconnecting');
    const again = () => {
      retry = undefined;
      if (closed) return;
      open().then(onResync, () => {
        retryMs = Math.min(retryMs * 2, 10_000);
        retry = setTimeout(again, retryMs);
      });
    };
    retry = setTimeout(again, retryMs);
  };

  await open();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
