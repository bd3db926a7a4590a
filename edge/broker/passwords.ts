import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// Device passwords as stored in the gateway config: either the plain secret (best taken from the
// environment with ${VAR}) or `scrypt:<salt>:<hash>` (base64 salt and derived key, Node's default
// scrypt cost N=16384, r=8, p=1), so the file itself never holds the secret. Comparison is
// constant-time either way: a timing side channel must not reveal how much of a guess was right.

const SCRYPT_FORM = /^scrypt:([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

export function isScryptHash(stored: string): boolean {
  return SCRYPT_FORM.test(stored);
}

function scryptAsync(password: Buffer, salt: Buffer, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Hashes a password into the `scrypt:<salt>:<hash>` form accepted by `verifyPassword`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(Buffer.from(password, 'utf8'), salt, 32);
  return `scrypt:${salt.toString('base64')}:${key.toString('base64')}`;
}

/** True when `given` is the password `stored` describes (plain or scrypt form). Never throws. */
export async function verifyPassword(stored: string, given: Buffer | string | undefined): Promise<boolean> {
  const candidate = given === undefined ? Buffer.alloc(0) : Buffer.isBuffer(given) ? given : Buffer.from(given, 'utf8');
  const m = SCRYPT_FORM.exec(stored);
  if (m) {
    const expected = Buffer.from(m[2]!, 'base64');
    if (expected.length < 16) return false;
    const derived = await scryptAsync(candidate, Buffer.from(m[1]!, 'base64'), expected.length).catch(() => Buffer.alloc(0));
    return derived.length === expected.length && timingSafeEqual(derived, expected);
  }
  // Hash both sides first: timingSafeEqual needs equal lengths, and comparing digests keeps the
  // time independent of the secret's length too.
  const a = createHash('sha256').update(stored, 'utf8').digest();
  const b = createHash('sha256').update(candidate).digest();
  return timingSafeEqual(a, b) && given !== undefined;
}
