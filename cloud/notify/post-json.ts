import http from 'node:http';
import https from 'node:https';
import { SpError } from '../../protocols/errors.ts';

// The one way notifications POST JSON to a URL: a configured webhook (dispatcher.ts) and a
// contact's Slack / WeCom / DingTalk / webhook address (senders.ts). node:http on kept-alive
// connections: it was `fetch` (undici), which on the alarm path (issue #12) cost 0.9–1.3 ms p50
// and 4.5–6.8 ms p99 per POST to a loopback receiver against 0.4 / 0.7–2.0 ms here, measured side
// by side, and whose first call in a process spent ~6 ms setting itself up on the event loop.
// A redirect is not followed: the delivery fails with the 3xx status in its attempts, so a moved
// endpoint is seen and fixed in the configuration rather than silently POSTed elsewhere.

const transports = {
  'http:': { request: http.request, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }) },
  'https:': { request: https.request, agent: new https.Agent({ keepAlive: true, maxSockets: 16 }) },
};

export interface PostAnswer { status: number; /** at most MAX_ANSWER_BYTES of it */ body: string }

/**
 * What is read of an answer: a status line's worth of reason (Slack), a WeCom/DingTalk errcode.
 * A receiver streaming more (misconfigured, or hostile) is cut off there instead of being held
 * in memory whole until the timeout.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs `payload` as JSON and returns the answer, whatever its status. Rejects when there is none:
 * a scheme other than http(s) or no answer within timeoutMs (SP_ERR_DELIVERY), or the socket's
 * own error (its `code`: ECONNREFUSED, ENOTFOUND…).
 */
export async function postJson(url: string, payload: unknown, headers: Record<string, string>, timeoutMs: number): Promise<PostAnswer> {
  const target = new URL(url);
  const transport = transports[target.protocol as keyof typeof transports];
  if (!transport) throw new SpError('SP_ERR_DELIVERY', { field: 'webhook', reason: `unsupported URL scheme ${target.protocol}` }, `URL must be http(s): ${target.protocol}`);
  const body = JSON.stringify(payload);
  try {
    return await postOnce(transport, target, body, headers, timeoutMs);
  } catch (e) {
    // a kept-alive connection the receiver had closed meanwhile fails before the request was
    // read: sent again at once on a new one (the pattern Node's http docs give for reusedSocket)
    if (!(e instanceof StaleSocket)) throw e;
    return postOnce(transport, target, body, headers, timeoutMs);
  }
}

/** a configured webhook: any answer but 2xx is a failed attempt */
export async function postWebhook(url: string, payload: unknown, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const { status } = await postJson(url, payload, headers, timeoutMs);
  if (status < 200 || status >= 300) throw new SpError('SP_ERR_DELIVERY', { field: 'webhook', reason: `answered HTTP ${status}` }, `webhook answered HTTP ${status}`);
}

class StaleSocket extends Error {}

function postOnce(transport: (typeof transports)['http:'] | (typeof transports)['https:'], target: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const req = transport.request(target, {
      method: 'POST', agent: transport.agent, signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json', 'user-agent': 'stockpulse-notifier', ...headers, 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      // read to the end (up to the cap): the connection goes back to the agent for the next alarm
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () => ({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (c: Buffer) => {
        if (size >= MAX_ANSWER_BYTES) return;
        chunks.push(size + c.length > MAX_ANSWER_BYTES ? c.subarray(0, MAX_ANSWER_BYTES - size) : c);
        size += c.length;
        // enough read: answered as it stands, the connection dropped rather than drained
        if (size >= MAX_ANSWER_BYTES) { resolve(answer()); res.destroy(); }
      });
      res.on('error', reject);
      res.on('end', () => resolve(answer()));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) reject(new StaleSocket(e.message));
      else if (e.name === 'TimeoutError' || e.name === 'AbortError') reject(new SpError('SP_ERR_DELIVERY', { field: 'webhook', reason: `no answer within ${timeoutMs} ms` }, `no answer within ${timeoutMs} ms`));
      else reject(e);
    });
    req.end(body);
  });
}
