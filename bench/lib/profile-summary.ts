// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per file, so a
// benchmark below target can name its measured bottleneck.
//
//   npx tsx bench/lib/profile-summary.ts FILE.cpuprofile [--top 25]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

export function summarise(profile: Profile, top = 25): { byFunction: [string, number][]; byFile: [string, number][]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    const short = cf.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'node_modules/').replace(/.*\/work\/main\//, '');
    const f = `${cf.functionName || '(anonymous)'} ${short}:${cf.lineNumber + 1}`;
    fn.set(f, (fn.get(f) ?? 0) + ms);
    const key = short.startsWith('node_modules/') ? short.split('/').slice(0, short.startsWith('node_modules/@') ? 3 : 2).join('/') : short || cf.functionName;
    file.set(key, (file.get(key) ?? 0) + ms);
    total += ms;
  }
  const sort = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { byFunction: sort(fn), byFile: sort(file), totalMs: total };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const s = summarise(JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile, Number(values.top));
  const pctOf = (ms: number) => `${((ms / s.totalMs) * 100).toFixed(1)}%`;
  console.log(`total sampled ${Math.round(s.totalMs)} ms\n\nby file / package:`);
  for (const [k, ms] of s.byFile) console.log(`  ${pctOf(ms).padStart(6)}  ${Math.round(ms).toString().padStart(6)} ms  ${k}`);
  console.log('\nby function:');
  for (const [k, ms] of s.byFunction) console.log(`  ${pctOf(ms).padStart(6)}  ${Math.round(ms).toString().padStart(6)} ms  ${k}`);
}
