import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// A small scanner for the repository's own imports: every `import … from '…'`, `export … from '…'`,
// `import '…'` and dynamic `import('…')` with a relative specifier, resolved to a file. Type-only
// imports count too: a cycle of types is still two modules that cannot be read one without the
// other. No TypeScript parser on purpose (no new dependency); comments are stripped first so a
// commented-out import is not an edge.

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const SOURCE = /\.(ts|js|mjs)$/;
const SKIP = new Set(['node_modules', '.git', 'data', 'dist', 'coverage']);

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** the text without comments (strings kept: specifiers live in them) */
function stripComments(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"' || c === "'" || c === '`') { // copy a string literal whole
      const start = i;
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
      out += src.slice(start, i + 1);
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  return out;
}

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function specifiers(src: string): string[] {
  const out: string[] = [];
  for (const m of stripComments(src).matchAll(SPECIFIER)) out.push((m[1] ?? m[2])!);
  return out;
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // a package (or node:) import
  const base = join(dirname(from), spec);
  for (const cand of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    const abs = join(ROOT, cand);
    if (existsSync(abs) && statSync(abs).isFile()) return relative(ROOT, abs);
  }
  return undefined;
}

export interface ImportGraph {
  /** file → the repository files it imports */
  edges: Map<string, string[]>;
  /** relative specifiers that name no file: a broken import, or a scanner gap */
  unresolved: { from: string; spec: string }[];
}

export function importGraph(dirs: readonly string[]): ImportGraph {
  const edges = new Map<string, string[]>();
  const unresolved: ImportGraph['unresolved'] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    const targets: string[] = [];
    for (const spec of specifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      const to = resolveSpecifier(file, spec);
      if (to) targets.push(to);
      else if (spec.startsWith('.')) unresolved.push({ from: file, spec });
    }
    edges.set(file, [...new Set(targets)]);
  }
  return { edges, unresolved };
}

/** strongly connected components of more than one file (or a file importing itself): Tarjan */
export function cycles(edges: Map<string, string[]>, keep: (file: string) => boolean): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of (edges.get(v) ?? []).filter(keep)) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].filter(keep)) if (!idx.has(v)) visit(v);
  return found;
}

/** one concrete loop through a component, for the failure message: a → b → … → a */
export function loopThrough(edges: Map<string, string[]>, comp: readonly string[]): string {
  const inComp = new Set(comp);
  const start = comp[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x: string | undefined = v; x && x !== start; x = prev.get(x)) path.splice(1, 0, x);
        return [...path, start].join(' → ');
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return comp.join(', ');
}

/** the imports from files under `from` folders to files under `to` folders, as "a.ts → b.ts" */
export function crossings(graph: ImportGraph, from: readonly string[], to: readonly string[]): string[] {
  const under = (f: string, dirs: readonly string[]) => dirs.some((d) => f.startsWith(`${d}/`));
  const out: string[] = [];
  for (const [a, tos] of graph.edges) if (under(a, from)) for (const b of tos) if (under(b, to)) out.push(`${a} → ${b}`);
  return out.sort();
}
