import { isSpError } from '../../protocols/errors.ts';

// Why committing a batch failed decides what happens to it (issue #11):
// - `connection`: the database is unreachable or going away (SP_ERR_DB, SQLSTATE 08xxx, 53xxx
//   out of resources, 57P0x shutdown, 58xxx I/O, a socket error, pg's "Connection terminated").
//   Nothing can be stored: no ack, the edge resends, for as long as it takes.
// - `retryable`: a passing condition between transactions (40001 serialization, 40P01 deadlock,
//   55P03 lock not available, 57014 statement timeout, 23505 a unique race with another instance).
//   Retried as a whole a few times; past that it is treated as permanent, so nothing is retried
//   for ever.
// - `permanent`: anything else (22xxx data exceptions like a NUL byte, 23xxx integrity, 08P01
//   protocol violation, a bug):
//   it will fail again on every resend. The batch is stored item by item, the failing items are
//   dead-lettered with their reason, and the stream goes on.

export type StoreFault = 'connection' | 'retryable' | 'permanent';

const RETRYABLE = new Set(['40001', '40P01', '55P03', '57014', '23505']);
const SOCKET = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_TEXT = /connection terminated|client (was closed|has encountered a connection error)|not queryable|connection (refused|reset|lost)|timeout exceeded when trying to connect|pglite is closed/i;

/** the SQLSTATE (or Node socket code) of an error, when it has one */
export function faultCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyStoreFault(e: unknown): StoreFault {
  if (isSpError(e)) return e.code === 'SP_ERR_DB' ? 'connection' : 'permanent';
  const code = faultCode(e);
  if (code && SOCKET.has(code)) return 'connection';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    // 08P01 protocol violation: the server dropped the connection because of what we sent (a NUL
    // inside a simple-protocol statement, e.g. COPY's escaped literals): it will happen again
    if (code === '08P01') return 'permanent';
    if (/^(08|53|58)/.test(code) || /^57P0/.test(code)) return 'connection';
    return RETRYABLE.has(code) ? 'retryable' : 'permanent';
  }
  return CONNECTION_TEXT.test((e as Error | null)?.message ?? '') ? 'connection' : 'permanent';
}
