import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Queryable } from '../../cloud/db/engine.ts';

// What the notification tests share: alerts written the way ingest stores them, a real SMTP
// server on a loopback port (with a login, so the password is really used), and a small MIME
// reader for what it received.

export interface AlertSeed {
  id: string; zone: string; rule: string; severity?: string; sensor?: string | null;
  since?: Date; raisedAt?: Date; value?: number | null; threshold?: number | null; message?: string;
}

export async function insertAlert(q: Queryable, a: AlertSeed): Promise<void> {
  const since = a.since ?? new Date('2026-03-01T08:00:00Z');
  await q.query(
    `INSERT INTO alerts (id, gateway, zone, sensor, rule, severity, state, since, raised_at, value, threshold, message)
     VALUES ($1, 'gw-bakery', $2, $3, $4, $5, 'active', $6, $7, $8, $9, $10)`,
    [a.id, a.zone, a.sensor ?? null, a.rule, a.severity ?? 'warning', since, a.raisedAt ?? since, a.value ?? null, a.threshold ?? null,
      a.message ?? `${a.rule} in ${a.zone}`]);
}

export interface ReceivedMail { from: string; to: string[]; user: string | undefined; raw: string }

export async function startSmtpServer(user: string, password: string) {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],   // plain loopback SMTP; AUTH allowed without TLS for the test only
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        mails.push({ from: (session.envelope.mailFrom || { address: '' }).address, to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, raw });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// --- a small MIME reader: headers, RFC 2047 encoded words, quoted-printable/base64 parts ---

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) { bytes.push(parseInt(text.slice(i + 1, i + 3), 16)); i += 2; }
    else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(v: string): string {
  return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')));
}

function headersOf(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function body(h: Record<string, string>, b: string): string {
  const cte = (h['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text = cte === 'quoted-printable' ? decodeQp(b) : cte === 'base64' ? Buffer.from(b.replace(/\s+/g, ''), 'base64').toString('utf8') : b;
  return text.replace(/\r\n/g, '\n').replace(/\n$/, '');
}

/** subject, from, to and the text/plain and text/html parts of a received message */
export function parseMail(raw: string) {
  const split = raw.indexOf('\r\n\r\n');
  const h = headersOf(raw.slice(0, split));
  const rest = raw.slice(split + 4);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/.exec(h['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of rest.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const i = chunk.indexOf('\r\n\r\n');
      const ph = headersOf(chunk.slice(0, i));
      parts[(ph['content-type'] ?? '').split(';')[0]!.trim()] = body(ph, chunk.slice(i + 4).replace(/\r\n$/, ''));
    }
  } else parts[(h['content-type'] ?? 'text/plain').split(';')[0]!.trim()] = body(h, rest);
  return { subject: decodeWords(h.subject ?? ''), from: h.from, to: h.to, text: parts['text/plain'], html: parts['text/html'] };
}
