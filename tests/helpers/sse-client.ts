// A minimal Server-Sent Events reader over fetch (what the dashboard does): collects every
// event of one /api/events stream until close().

export interface SseEvent { type: string; data: any }

export interface SseStream {
  status: number;
  events: SseEvent[];
  close(): void;
}

export async function openEventStream(baseUrl: string, token?: string): Promise<SseStream> {
  const ctrl = new AbortController();
  const res = await fetch(`${baseUrl}/api/events`, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    signal: ctrl.signal,
  });
  const stream: SseStream = { status: res.status, events: [], close: () => ctrl.abort() };
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    return stream;
  }
  void (async () => {
    let buf = '';
    try {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const type = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (type && data) stream.events.push({ type, data: JSON.parse(data) });
        }
      }
    } catch { /* aborted by close(), or the server went away */ }
  })();
  return stream;
}
