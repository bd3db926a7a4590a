import { describe, expect, it } from 'vitest';
import { crossings, cycles, importGraph, loopThrough, specifiers } from '../helpers/import-graph.ts';

// The layering the design rests on (docs: /DESIGN.md "Shape"): protocols/ imports nothing of
// ours, edge/ and cloud/ never import each other (bin/ is the only place wiring both), and no
// folder has import cycles — a cycle is two modules that cannot be understood, tested or moved
// one without the other (issue #15: count-drift.ts ↔ store-movements.ts).

const graph = importGraph(['cloud', 'edge', 'protocols', 'bin', 'simulators', 'bench']);
const top = (f: string) => f.split('/')[0]!;

/**
 * Cycles known and owned by another folder's owner, each with why it is still here. A listed
 * cycle that is gone fails the suite too, so the list cannot go stale.
 */
const KNOWN_CYCLES: { files: string[]; why: string }[] = [];

describe('import graph', () => {
  it('the scanner sees the imports (every relative import resolves; a known edge is there)', () => {
    expect(graph.unresolved).toEqual([]);
    expect(graph.edges.size).toBeGreaterThan(200);
    expect(graph.edges.get('cloud/ingest/store-batch.ts')).toContain('cloud/ingest/store-movements.ts');
    expect(specifiers(`import type {\n  A,\n  B as C,\n} from './a.ts';\n// import x from './commented.ts'\nexport * from "./b.ts";\nconst m = await import('./c.ts');\nimport './d.ts';`))
      .toEqual(['./a.ts', './b.ts', './c.ts', './d.ts']);
  });

  it('finds a cycle when there is one (so a green run means none)', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    const found = cycles(g, () => true);
    expect(found).toEqual([['a', 'b', 'c']]);
    expect(loopThrough(g, found[0]!)).toBe('a → b → c → a');
  });

  for (const dir of ['cloud', 'edge', 'protocols', 'bin', 'simulators']) {
    it(`${dir}/ has no import cycles`, () => {
      const found = cycles(graph.edges, (f) => top(f) === dir);
      const unexpected = found.filter((c) => !KNOWN_CYCLES.some((k) => k.files.join() === c.join()));
      for (const c of found.filter((c) => !unexpected.includes(c))) {
        console.warn(`known cycle allowed: ${loopThrough(graph.edges, c)} — ${KNOWN_CYCLES.find((k) => k.files.join() === c.join())!.why}`);
      }
      expect(unexpected.map((c) => loopThrough(graph.edges, c))).toEqual([]);
      const stale = KNOWN_CYCLES.filter((k) => top(k.files[0]!) === dir && !found.some((c) => c.join() === k.files.join()));
      expect(stale.map((k) => `${k.files.join(' ↔ ')} is no longer a cycle: remove it from KNOWN_CYCLES`)).toEqual([]);
    });
  }

  it('edge/ and cloud/ never import each other; protocols/ imports nothing of ours', () => {
    const bad: string[] = [];
    for (const [from, tos] of graph.edges) {
      for (const to of tos) {
        const [a, b] = [top(from), top(to)];
        if ((a === 'edge' && b === 'cloud') || (a === 'cloud' && b === 'edge')) bad.push(`${from} → ${to}`);
        if (a === 'protocols' && b !== 'protocols') bad.push(`${from} → ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('bench/ and edge/ do not import bin/ (the one place that wires everything)', () => {
    expect(crossings(graph, ['bench', 'edge'], ['bin'])).toEqual([]);
  });

  it('simulators/ never import edge/ or cloud/ (they play the devices; bin/ bridges a scenario to a gateway config)', () => {
    // the scenario → edge config bridge is bin/scenario-edge-config.ts; a scenario says what
    // the gateway should watch in its own plain types (simulators/scenario-types.ts)
    const known: string[] = [];
    expect(crossings(graph, ['simulators'], ['edge', 'cloud']).filter((c) => !known.includes(c))).toEqual([]);
  });

  it('the edge gateway wires its drivers through the registry (static, type-only, re-exported and dynamic imports seen)', () => {
    const gw = graph.edges.get('edge/gateway.ts') ?? [];
    expect(gw).toContain('edge/devices/registry.ts');
    expect(gw).toContain('edge/gateway-status.ts'); // `export type { … } from`
    expect(graph.edges.get('edge/devices/registry.ts')).toContain('edge/devices/opcua/adapter.ts'); // import()
    expect(graph.edges.get('edge/metrics.ts')).toContain('edge/outbox/queue.ts'); // `import type`
  });
});

describe('the test tree mirrors the source tree', () => {
  // tests/<layer>/<folder>/… beside the code they test; whole-stack suites in e2e/ and security/;
  // shared helpers only in tests/helpers/ (a suite never borrows another suite's files, except
  // captured-frame fixtures, which are data)
  const TOP = ['architecture', 'bench', 'bin', 'cloud', 'dashboards', 'e2e', 'edge', 'helpers', 'protocols', 'security', 'simulators'];
  const tests = importGraph(['tests']);

  it(`every test folder is one of ${TOP.join(', ')}`, () => {
    const tops = new Set([...tests.edges.keys()].map((f) => f.split('/')[1]!).filter((t) => !t.endsWith('.ts')));
    expect([...tops].filter((t) => !TOP.includes(t))).toEqual([]);
  });

  it('a suite imports only tests/helpers/, fixtures and files of its own folder', () => {
    const dir = (f: string) => f.slice(0, f.lastIndexOf('/'));
    const borrowed: string[] = [];
    for (const [from, tos] of tests.edges) {
      for (const to of tos) {
        if (!to.startsWith('tests/') || to.startsWith('tests/helpers/') || to.includes('/fixtures/')) continue;
        // its own folder, a parent of it, or a subfolder of it (a suite's own helpers/)
        if (dir(from) === dir(to) || dir(from).startsWith(`${dir(to)}/`) || dir(to).startsWith(`${dir(from)}/`)) continue;
        borrowed.push(`${from} → ${to}`);
      }
    }
    expect(borrowed).toEqual([]);
  });
});
