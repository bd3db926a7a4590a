import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { CloudEvent, EventBus } from './bus.ts';

// GET /api/events: Server-Sent Events for the dashboard. Each event is one `CloudEvent` from
// the bus (LISTEN/NOTIFY), so any instance behind the load balancer streams what every
// instance committed. The route sits behind the same token check as the rest of /api; the
// dashboard reads it with fetch() (EventSource cannot send an Authorization header).

/** a comment line this often keeps proxies and load balancers from closing an idle stream */
const KEEPALIVE_MS = 15_000;
/** a client this far behind is cut off; it reconnects and reloads (`resync`) */
const MAX_BUFFERED_BYTES = 1 << 20;

export function eventRoutes(bus: EventBus): FastifyPluginAsync {
  return async (app) => {
    const open = new Set<ServerResponse>();
    // Streams never end by themselves: close them before the server waits for its connections.
    app.addHook('preClose', async () => {
      for (const res of open) res.end();
      open.clear();
    });

    app.get('/api/events', {
      schema: {
        tags: ['system'],
        summary: 'live updates as Server-Sent Events: `hello` once, then `ingest` (batches committed on any instance) and `resync` (reload everything)',
      },
    }, async (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx would otherwise buffer the stream
        'x-accel-buffering': 'no',
      });
      const send = (type: string, data: unknown) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) return void res.end();
        res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      res.write('retry: 3000\n\n');
      send('hello', { origin: bus.origin, at: Date.now() });
      const unsubscribe = bus.subscribe((e: CloudEvent) => send(e.type, e));
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      open.add(res);
      res.on('close', () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(res);
      });
    });
  };
}
