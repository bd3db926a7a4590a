import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SpError } from '../../protocols/errors.ts';

// The gateway's small HTTP port: GET /metrics (Prometheus text) and GET /status (JSON of
// Gateway.status()). Read-only and dependency-free (node:http): it must keep answering on a
// box whose cloud link is down, which is exactly when a technician looks at it.

export interface EdgeHttpOptions {
  port: number;
  host?: string;
  registry: Registry;
  status: () => unknown;
  log: Logger;
}

export interface EdgeHttp {
  /** http://host:port actually bound (port 0 resolved) */
  url: string;
  close(): Promise<void>;
}

function sendError(res: http.ServerResponse, e: SpError): void {
  res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(e.toJSON()));
}

export async function startEdgeHttp(o: EdgeHttpOptions): Promise<EdgeHttp> {
  const host = o.host ?? '0.0.0.0';
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, new SpError('SP_ERR_VALIDATION', { field: 'method', reason: `${req.method} is not supported; use GET` }));
    }
    if (path === '/metrics') {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text),
        (e: Error) => {
          o.log.error({ err: e }, 'metrics collection failed');
          sendError(res, new SpError('SP_ERR_INTERNAL', { field: 'metrics', reason: e.message }));
        },
      );
      return;
    }
    if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(o.status()));
      return;
    }
    sendError(res, new SpError('SP_ERR_NOT_FOUND', { field: 'path', reason: `no route ${path} (try /status or /metrics)` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
