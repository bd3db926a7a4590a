import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from '../helpers/import-graph.ts';

// Tests wait on conditions (tests/helpers/net.ts waitFor, expect.poll), never on a bare sleep
// that hopes the condition is met by then: on a loaded box (2 cores, load 10) the sleep is too
// short and the test flakes; on an idle one it is too long and the suite crawls. Where a pause IS
// the behaviour under test it is said by name (tests/helpers/pause.ts: unchangedFor, quietFor,
// pace). This scan fails on a sleep anywhere in tests/ outside tests/helpers/ (issue #15).

/** what a bare sleep looks like, each with its name for the failure message */
const SLEEPS: { name: string; re: RegExp }[] = [
  // new Promise((r) => setTimeout(r, 100)), new Promise(resolve => setTimeout(resolve, ms))
  { name: 'a Promise around setTimeout', re: /new\s+Promise\s*(?:<[^>]*>)?\s*\(\s*(?:\(\s*\w+\s*(?::[^)]*)?\)|\w+)\s*=>\s*\{?\s*setTimeout\s*\(/ },
  // setTimeout(r, 100) / setTimeout(resolve, 100) on its own (the resolver handed in)
  { name: 'setTimeout(resolve, ms)', re: /\bsetTimeout\s*\(\s*(?:r|res|resolve|done|ok|next)\s*,/ },
  // import { setTimeout as sleep } from 'node:timers/promises'
  { name: 'timers/promises', re: /['"](?:node:)?timers\/promises['"]/ },
  // playwright's page.waitForTimeout(500) (0 is a yield to the event loop, not a sleep)
  { name: 'waitForTimeout(ms)', re: /\bwaitForTimeout\s*\(\s*(?!0\s*\))[^)]/ },
  // a local sleep helper: sleep(100), delay(100)
  { name: 'sleep(ms) / delay(ms)', re: /(?<![.\w])(?:sleep|delay)\s*\(\s*[\d_]+\s*\)/ },
];

/** the sleeps in a file's code lines (a line comment is not code) */
function sleepsIn(src: string): string[] {
  const found: string[] = [];
  src.split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
    for (const s of SLEEPS) if (s.re.test(line)) found.push(`${i + 1}: ${s.name}: ${line.trim()}`);
  });
  return found;
}

describe('test hygiene: no bare sleeps', () => {
  it('the scan knows a sleep when it sees one (so a green run means none)', () => {
    // built by concatenation so this file does not match itself
    const st = 'setTime' + 'out';
    expect(sleepsIn(`await new Promise((r) => ${st}(r, 2000));`)).toHaveLength(2);
    expect(sleepsIn(`await new Promise<void>(resolve => ${st}(resolve, ms));`)).toHaveLength(2);
    expect(sleepsIn(`await new Promise((r) => { ${st}(() => r(1), 50); });`)).toHaveLength(1);
    expect(sleepsIn(`import { ${st} as s } from 'node:timers/` + `promises';`)).toHaveLength(1);
    expect(sleepsIn(`await page.waitFor` + `Timeout(500);`)).toHaveLength(1);
    expect(sleepsIn(`await sle` + `ep(1_000);`)).toHaveLength(1);
    // not sleeps: a client's own timeout setting, a yield, a condition wait, a named pause
    expect(sleepsIn(`// await new Promise((r) => ${st}(r, 2000));`)).toEqual([]);
    expect(sleepsIn(`master.${st}(500); await page.waitFor` + `Timeout(0); await waitFor(() => ok, 'x', 2000); await quietFor(1300, 'why');`)).toEqual([]);
  });

  it('no test outside tests/helpers/ sleeps', () => {
    // this file holds the patterns themselves
    const files = sourceFiles('tests').filter((f) => !f.startsWith('tests/helpers/') && f !== 'tests/architecture/test-hygiene.test.ts');
    expect(files.length).toBeGreaterThan(100);
    const bad = files.flatMap((f) => sleepsIn(readFileSync(join(ROOT, f), 'utf8')).map((s) => `${f}:${s}`));
    expect(bad, 'wait on the condition (tests/helpers/net.ts waitFor, expect.poll), or name the pause (tests/helpers/pause.ts)').toEqual([]);
  });
});
