import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The repository's own import graph, read from the source text: every `import … from './x.ts'`,
// `export … from`, `import type` and `import('./x.ts')` with a relative specifier (packages are
// not ours and are skipped). Type-only imports count: they still tie two files together.

const SPEC = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');

/** repo-relative paths of the .ts files under `dir` */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(join(ROOT, d))) {
      const p = join(d, name);
      if (statSync(join(ROOT, p)).isDirectory()) { if (name !== 'node_modules') walk(p); } else if (p.endsWith('.ts')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** the repo-relative files `file` imports (relative specifiers only) */
export function importsOf(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = new Set<string>();
  for (const m of src.matchAll(SPEC)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.startsWith('.')) out.add(relative(ROOT, resolve(ROOT, dirname(file), spec)));
  }
  return [...out];
}

/** Every import cycle among `files` (each as the list of files around it), found by Tarjan's strongly connected components. */
export function importCycles(files: readonly string[]): string[][] {
  const inScope = new Set(files);
  const edges = new Map(files.map((f) => [f, importsOf(f).filter((t) => inScope.has(t))]));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return cycles;
}

/** `from → to` for every import of a file under one of `from` dirs into one of `to` dirs */
export function crossings(from: readonly string[], to: readonly string[]): string[] {
  const under = (f: string, dirs: readonly string[]) => dirs.some((d) => f === d || f.startsWith(d.endsWith('/') ? d : `${d}/`));
  return from.flatMap((d) => tsFiles(d)).flatMap((f) => importsOf(f).filter((t) => under(t, to)).map((t) => `${f} → ${t}`));
}
