import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpError, isSpError, zodIssuesToDetails } from '../protocols/errors.ts';
import { FaultChange } from './faults.ts';
import type { ScenarioHandle } from './scenario-runner.ts';

// A tiny HTTP API to flip faults on a running simulator from a demo script or a test:
//   GET  /faults   → scenario status (zones, devices, active faults)
//   POST /faults   {"target":"chiller","fault":"compressor_failure","active":true}
// node:http on purpose: the simulator should not pull in the cloud's web stack.

const MAX_BODY = 16 * 1024;

export interface ControlServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, e: unknown): void {
  if (isSpError(e)) return send(res, e.status, e.toJSON());
  send(res, 500, { code: 'SP_ERR_DEVICE', message: e instanceof Error ? e.message : String(e), details: [] });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new SpError('SP_ERR_VALIDATION', { field: '(body)', reason: `larger than ${MAX_BODY} bytes` }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function postFault(handle: ScenarioHandle, req: http.IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SpError('SP_ERR_VALIDATION', { field: '(body)', reason: 'not valid JSON; send {"target":"chiller","fault":"door_open","active":true}' });
  }
  const r = FaultChange.safeParse(json);
  if (!r.success) throw new SpError('SP_ERR_VALIDATION', zodIssuesToDetails(r.error.issues));
  const changes = handle.setFault(r.data.target, r.data.fault, r.data.active);
  return { changes, status: handle.status() };
}

export async function startControlServer(handle: ScenarioHandle, opts: { port: number; host?: string }): Promise<ControlServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = async (): Promise<void> => {
      if (path !== '/faults') throw new SpError('SP_ERR_NOT_FOUND', { field: 'path', reason: `no route ${path} (try GET or POST /faults)` });
      if (req.method === 'GET') return send(res, 200, handle.status());
      if (req.method === 'POST') return send(res, 200, await postFault(handle, req));
      throw new SpError('SP_ERR_VALIDATION', { field: 'method', reason: `${req.method} not allowed on /faults (GET or POST)` });
    };
    route().catch((e: unknown) => sendError(res, e));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new SpError('SP_ERR_CONFIG', { field: 'controlPort', reason: `cannot listen on ${host}:${opts.port}: ${e.message}` })));
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
