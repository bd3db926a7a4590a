// Thin client for the cloud JSON API. Every call rejects with an ApiError so the app can tell
// "cloud unreachable" (network/timeout, status 0) from "cloud answered with an error".

import { askForToken, authHeader } from './token.js';
import { humanError, UNREACHABLE } from './error-text.js';

const TIMEOUT_MS = 8_000;

export class ApiError extends Error {
  /** @param {number} status HTTP status, 0 when the cloud could not be reached */
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
  get unreachable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

async function request(method, path, body) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  let res;
  try {
    res = await fetch(path, {
      method,
      signal: ctrl.signal,
      headers: { ...authHeader(), ...(body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (err) {
    // `code` is an internal marker, never shown; the message is the human one (error-text.js)
    throw new ApiError(0, UNREACHABLE, humanError(0, null), [{ field: 'network', reason: err?.name === 'AbortError' ? 'timeout' : String(err?.message ?? err) }]);
  } finally {
    clearTimeout(timer);
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Non-JSON body (proxy error page, empty 204): handled below by status.
  }
  if (res.status === 401) askForToken(json?.details?.[0]?.reason);
  if (!res.ok) {
    throw new ApiError(res.status, json?.code ?? `HTTP_${res.status}`, humanError(res.status, json), json?.details ?? []);
  }
  return json;
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const getHealth = () => request('GET', '/api/health');
export const getZones = () => request('GET', '/api/zones');
export const getSensors = () => request('GET', '/api/sensors');
export const getDevices = () => request('GET', '/api/devices');

/** @returns {Promise<{sensor:string,bucket:number|null,source:string,points:{ts:number,avg:number,min:number,max:number,n:number}[]}>} */
export const getReadings = (sensor, from, to, bucket) => request('GET', `/api/readings${qs({ sensor, from, to, bucket })}`);

/** @param {{state?:'active'|'cleared'|'all', zone?:string, limit?:number}} q */
export const getAlerts = (q = {}) => request('GET', `/api/alerts${qs(q)}`);

export const ackAlert = (id, by, note) =>
  request('POST', `/api/alerts/${encodeURIComponent(id)}/ack`, note ? { by, note } : { by });

// incidents: one zone event's alerts, acknowledged once (cloud/api/routes/incidents.ts)
export const getIncident = (id) => request('GET', `/api/incidents/${encodeURIComponent(id)}`);
export const getAlertIncident = (alertId) => request('GET', `/api/alerts/${encodeURIComponent(alertId)}/incident`);
export const ackIncident = (id, by, note) =>
  request('POST', `/api/incidents/${encodeURIComponent(id)}/ack`, note ? { by, note } : { by });

export const getSim = () => request('GET', '/api/sim');
export const setSimFault = (target, fault, active) => request('POST', '/api/sim/faults', { target, fault, active });
