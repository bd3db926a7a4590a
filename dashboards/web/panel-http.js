import { authHeader } from './token.js';
import { humanError } from './error-text.js';

// The side panels' (jobs, gateways) and the lot passport's one way to call the API: the token sent, the answer parsed,
// a failure thrown as an HttpError whose message is already words a person can act on
// (error-text.js) and whose `unreachable` says whether to show the "cannot reach" state.

export class HttpError extends Error {
  /** body: the coded error the server answered (null when nothing answered) */
  constructor(status, message, body = null) { super(message); this.status = status; this.body = body; }
  get unreachable() { return this.status === 0 || this.status >= 502; }
}

export async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method, cache: 'no-store',
      headers: { ...authHeader(), accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new HttpError(0, humanError(0, null));
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new HttpError(res.status, humanError(res.status, json), json);
  return json;
}
