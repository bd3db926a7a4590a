import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test PKI made with the system's openssl (the same commands docs/security.md gives operators):
// a CA, a server certificate for 127.0.0.1, and client certificates whose CN is the identity.

export interface TestPki {
  dir: string;
  ca: string;
  serverKey: string;
  serverCert: string;
  /** client key/cert paths by CN */
  client(cn: string): { key: string; cert: string };
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
// EC keys: generated in milliseconds, unlike RSA.
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestPki(clients: string[]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sp-pki-'));
  ssl(dir, ['req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=stockpulse test CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const sign = (name: string, cn: string, ext?: string) => {
    ssl(dir, ['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    ssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...(ext ? ['-extfile', ext] : [])]);
  };
  sign('server', 'localhost', 'server.ext');
  for (const cn of clients) sign(`client-${cn}`, cn);
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    client: (cn) => ({ key: join(dir, `client-${cn}.key`), cert: join(dir, `client-${cn}.crt`) }),
  };
}
