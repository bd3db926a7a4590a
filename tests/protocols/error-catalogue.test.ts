import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../protocols/errors.ts';

// The error catalogue as fastify keeps it: every code documented (docs/errors.md: HTTP status,
// meaning, where it arises, what to do), no code used that the catalogue does not hold, and no
// plain `throw new Error(` in source — bad input and runtime failures carry a coded SpError.
// A plain Error is allowed only as a startup assertion (something wrong in what ships with the
// code, not in anything a user gives), marked on its line with `// startup assertion`.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['edge', 'cloud', 'protocols', 'bin', 'simulators', 'dashboards/web'];
const CODES = Object.keys(ERROR_CATALOGUE);

/**
 * Codes used on purpose outside the catalogue, per file (none today: the web UI's "no answer at
 * all" is an internal marker in dashboards/web/error-text.js, not a code). Nothing may be added
 * here without a reason.
 */
const ALLOWED_OUTSIDE_CATALOGUE: Record<string, string[]> = {};

/**
 * Files exempt from the plain-Error rule. The web UI runs in the browser, where protocols/errors.ts
 * is not loaded; its fetch helpers throw to their own panels' catch, which turns them into words
 * (dashboards/web/error-text.js).
 */
const PLAIN_ERROR_EXEMPT_DIRS = ['dashboards/web'];

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(join(ROOT, d));
  return out;
}

const files = sourceFiles().map((p) => ({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') }));

describe('error catalogue', () => {
  it('docs/errors.md documents every code with its HTTP status, where it arises and what to do', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const missing: string[] = [];
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      const row = new RegExp(`^\\| \`${code}\` \\| ${status} \\| .+\\|$`, 'm');
      const section = doc.split(/^## /m).find((s) => s.startsWith(`${code} — ${status}\n`));
      if (!row.test(doc)) missing.push(`${code}: no table row with status ${status}`);
      if (!section) missing.push(`${code}: no "## ${code} — ${status}" section`);
      else if (!section.includes('**Arises:**') || !section.includes('**Do:**')) missing.push(`${code}: section lacks **Arises:** or **Do:**`);
    }
    expect(missing).toEqual([]);
    // and nothing documented that the catalogue no longer holds
    const documented = [...doc.matchAll(/^## (SP_ERR_[A-Z0-9_]+)/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...CODES].sort());
  });

  it('the README links docs/errors.md', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/errors.md)');
  });

  it('source and the web UI use no SP_ERR_ code outside the catalogue', () => {
    expect(files.length).toBeGreaterThan(100); // the walk found the tree
    const unknown: string[] = [];
    for (const f of files) {
      const allowed = ALLOWED_OUTSIDE_CATALOGUE[f.path] ?? [];
      for (const m of f.text.matchAll(/SP_ERR_[A-Z0-9_]+/g)) {
        if (!CODES.includes(m[0]) && !allowed.includes(m[0])) unknown.push(`${f.path}: ${m[0]}`);
      }
    }
    expect(unknown).toEqual([]);
    // the allow-list holds only what is really there (a fixed file drops its entry)
    for (const [path, codes] of Object.entries(ALLOWED_OUTSIDE_CATALOGUE)) {
      const text = files.find((f) => f.path === path)?.text ?? '';
      for (const c of codes) expect(text, `${path} still uses ${c}`).toContain(c);
    }
  });

  it('no plain `throw new Error(` in source outside startup assertions', () => {
    const plain: string[] = [];
    for (const f of files) {
      if (PLAIN_ERROR_EXEMPT_DIRS.some((d) => f.path.startsWith(`${d}/`))) continue;
      f.text.split('\n').forEach((line, i) => {
        if (/throw\s+new\s+Error\s*\(/.test(line) && !line.includes('// startup assertion')) plain.push(`${f.path}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(plain).toEqual([]);
  });
});
