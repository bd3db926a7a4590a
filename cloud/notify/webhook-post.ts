import http from 'node:http';
import https from 'node:https';
import { SpError } from '../../protocols/errors.ts';

// POSTs a webhook body with node:http on kept-alive connections. It was `fetch` (undici); on the
// alarm path (issue #12) that cost 0.9–1.3 ms p50 and 4.5–6.8 ms p99 per POST to a loopback
// receiver against 0.4 / 0.7–2.0 ms here, measured side by side, and its first call in a process
// spent ~6 ms setting itself up on the event loop, in front of the next delivery.
// A redirect is not followed: the delivery fails with the 3xx status in its attempts, so a moved
// endpoint is seen and fixed in the configuration rather than silently POSTed elsewhere.

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export async function postWebhook(url: string, payload: unknown, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  try {
    await postOnce(url, payload, headers, timeoutMs);
  } catch (e) {
    // a kept-alive connection the receiver had closed meanwhile fails before the request was
    // read: sent again at once on a new one (the pattern Node's http docs give for reusedSocket)
    if (!(e instanceof StaleSocket)) throw e;
    await postOnce(url, payload, headers, timeoutMs);
  }
}

class StaleSocket extends Error {}

function postOnce(url: string, payload: unknown, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  const agent = target.protocol === 'https:' ? agents['https:'] : target.protocol === 'http:' ? agents['http:'] : undefined;
  if (!agent) return Promise.reject(new SpError('SP_ERR_DELIVERY', { field: 'webhook', reason: `unsupported URL scheme ${target.protocol}` }, `webhook URL must be http(s): ${target.protocol}`));
  const body = JSON.stringify(payload);
  const request = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: 'POST', agent, signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'stockpulse-notifier', ...headers },
    }, (res) => {
      // read the answer to its end: the connection goes back to the agent for the next alarm
      res.resume();
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new SpError('SP_ERR_DELIVERY', { field: 'webhook', reason: `answered HTTP ${status}` }, `webhook answered HTTP ${status}`));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) reject(new StaleSocket(e.message));
      else if (e.name === 'TimeoutError' || e.name === 'AbortError') reject(new SpError('SP_ERR_DELIVERY', { field: 'webhook', reason: `no answer within ${timeoutMs} ms` }, `webhook timed out after ${timeoutMs} ms`));
      else reject(e);
    });
    req.end(body);
  });
}
