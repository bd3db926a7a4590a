// Live updates from the cloud's /api/events (Server-Sent Events). Read with fetch() rather
// than EventSource because the stream needs the same Authorization header as every API call.
// Any cloud instance serves the same events (they travel through PostgreSQL LISTEN/NOTIFY),
// so a load balancer needs no sticky sessions. When the stream drops, we retry with backoff;
// the dashboard's own refresh timer keeps working meanwhile.

import { authHeader } from './token.js';

/**
 * @param {{ onEvent: (type: string, data: any) => void, onOpen?: () => void, onDown?: () => void }} handlers
 * @returns {() => void} stop
 */
export function connectLiveEvents({ onEvent, onOpen, onDown }) {
  let stopped = false;
  let ctrl;
  let retryMs = 1000;

  async function run() {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const res = await fetch('/api/events', { headers: { ...authHeader(), accept: 'text/event-stream' }, signal: ctrl.signal, cache: 'no-store' });
        // 401/403/404: no live updates for this token or this cloud; polling still works
        if (!res.ok || !res.body) {
          if (res.status >= 400 && res.status < 500) return void onDown?.();
          throw new Error(`HTTP ${res.status}`);
        }
        retryMs = 1000;
        onOpen?.();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, end);
            buf = buf.slice(end + 2);
            let type = 'message';
            let data = '';
            for (const line of frame.split('\n')) {
              if (line.startsWith('event:')) type = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trim();
            }
            if (!data) continue;   // retry: lines and keep-alive comments
            try { onEvent(type, JSON.parse(data)); } catch { /* a bad frame is skipped, not fatal */ }
          }
        }
      } catch {
        if (stopped) return;
      }
      onDown?.();
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  }
  run();
  return () => { stopped = true; ctrl?.abort(); };
}
