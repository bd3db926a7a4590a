import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, postJson, postWebhook } from '../../../cloud/notify/post-json.ts';

// The webhook POST of the notification dispatcher, against a real HTTP server on loopback.

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
const servers: http.Server[] = [];
async function receiver(handle: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c; });
    req.on('end', () => handle(req, body, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => { s.closeAllConnections(); s.close(r); });
});

describe('postWebhook', () => {
  it('POSTs the JSON body with its headers and resolves on 2xx', async () => {
    const got: { body: unknown; type?: string; auth?: string; agent?: string }[] = [];
    const url = await receiver((req, body, res) => {
      got.push({ body: JSON.parse(body), type: req.headers['content-type'], auth: req.headers.authorization, agent: req.headers['user-agent'] });
      res.writeHead(204).end();
    });
    await postWebhook(url, { alert: { id: 'a1', message: '冷库温度高' } }, { authorization: 'Bearer t' }, 2000);
    expect(got).toEqual([{ body: { alert: { id: 'a1', message: '冷库温度高' } }, type: 'application/json', auth: 'Bearer t', agent: 'stockpulse-notifier' }]);
  });

  it('rejects a non-2xx answer with the status, and does not follow a redirect', async () => {
    let hits = 0;
    const other = await receiver((_q, _b, res) => { hits++; res.writeHead(200).end(); });
    const url = await receiver((req, _b, res) => {
      if (req.url === '/moved') res.writeHead(301, { location: other }).end();
      else res.writeHead(503).end('busy');
    });
    await expect(postWebhook(url, {}, {}, 2000)).rejects.toMatchObject({ code: 'SP_ERR_DELIVERY', details: [{ field: 'webhook', reason: 'answered HTTP 503' }] });
    await expect(postWebhook(url.replace('/hook', '/moved'), {}, {}, 2000)).rejects.toMatchObject({ details: [{ reason: 'answered HTTP 301' }] });
    expect(hits).toBe(0);
  });

  it('gives up after its timeout with a coded error', async () => {
    const url = await receiver(() => { /* never answers */ });
    const t0 = Date.now();
    await expect(postWebhook(url, {}, {}, 300)).rejects.toMatchObject({ code: 'SP_ERR_DELIVERY', details: [{ reason: 'no answer within 300 ms' }] });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a kept-alive connection the receiver drops as the next POST goes out: sent again on a new one, arriving once', async () => {
    const ids: string[] = [];
    const perSocket = new Map<unknown, number>();
    const server = http.createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      // a receiver whose idle timeout fired just as the request came: the connection is reset unread
      if (n > 1) { req.socket.destroy(); return; }
      let body = '';
      req.on('data', (c: Buffer) => { body += c; });
      req.on('end', () => { ids.push(JSON.parse(body).id); res.writeHead(200).end('{}'); });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await postWebhook(url, { id: 'first' }, {}, 2000);
    await postWebhook(url, { id: 'second' }, {}, 2000);
    expect(ids).toEqual(['first', 'second']);
  });

  it('a receiver answering without end is cut off at the cap, long before the timeout, and the next POST is unaffected', async () => {
    let served = 0;
    const url = await receiver((_q, _b, res) => {
      if (served++ > 0) { res.writeHead(200).end('{"errcode":0}'); return; }
      // 200 MiB of answer, written as fast as the socket takes it
      res.writeHead(200);
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      let left = 200;
      const pump = () => { while (left > 0 && res.write(chunk)) left--; if (left > 0 && !res.destroyed) res.once('drain', () => { left--; pump(); }); else res.end(); };
      res.on('close', () => { left = 0; });
      pump();
    });
    const t0 = Date.now();
    const answer = await postJson(url, {}, {}, 10_000);
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(MAX_ANSWER_BYTES);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await postJson(url, {}, {}, 2000)).toEqual({ status: 200, body: '{"errcode":0}' });
  });

  it('refuses a URL that is not http(s)', async () => {
    await expect(postWebhook('file:///etc/passwd', {}, {}, 1000)).rejects.toMatchObject({ code: 'SP_ERR_DELIVERY', details: [{ field: 'webhook' }] });
  });
});
