import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** polls `fn` until it returns a truthy value; rejects with `what` after timeoutMs */
type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000, everyMs = 50): Promise<Truthy<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as Truthy<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface WebhookReceiver {
  url: string;
  /** path = the request path with its query string (DingTalk's timestamp/sign, WeCom's key) */
  calls: { at: number; body: any; path?: string; headers?: http.IncomingHttpHeaders }[];
  /** answer with this status (e.g. 500 to test retries) */
  status: number;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that records every POSTed JSON body. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const r: WebhookReceiver = { url: '', calls: [], status: 200, close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (r.status < 300) r.calls.push({ at: Date.now(), body: JSON.parse(body || 'null'), path: req.url, headers: req.headers });
      res.writeHead(r.status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return r;
}
