import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { jobs } from '../../cloud/jobs/registry.ts';

// `stockpulse NAME --help` prints NAME's help without loading the command (bin/cli.ts): the text
// lives in bin/commands/NAME.help.ts, which the command imports too (one text), and which may
// import light modules only — a technician's `--help` should not wait for the database, the
// broker or fastify to load.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMMANDS_DIR = join(ROOT, 'bin/commands');
const NAMES = readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.help.ts')).map((f) => f.slice(0, -'.help.ts'.length)).sort();

/** packages that make a command slow to load; none may be reachable from a help module */
const HEAVY = ['fastify', '@fastify/', 'fastify-type-provider-zod', 'pg', 'pg-copy-streams', '@electric-sql/pglite', 'aedes', 'mqtt',
  'modbus-serial', 'node-opcua', 'serialport', '@serialport/', 'better-sqlite3', 'drizzle-orm', 'rxjs', 'pino', 'prom-client', 'nodemailer'];

/** every package a file reaches through its value imports (`import type` is erased, so not followed) */
function reachablePackages(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const files = new Set<string>();
  const walk = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      if (m[1]) continue;
      const spec = m[2]!;
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  walk(entry);
  return { packages, files };
}

describe('stockpulse COMMAND --help', () => {
  it('every command has a help module', () => {
    const commands = readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.help.ts')).map((f) => f.slice(0, -3)).sort();
    expect(NAMES).toEqual(commands);
    const cli = readFileSync(join(ROOT, 'bin/cli.ts'), 'utf8');
    for (const name of NAMES) expect(cli, `bin/cli.ts loads ./commands/${name}.help.ts`).toContain(`import('./commands/${name}.help.ts')`);
  });

  it.each(NAMES)('%s.help.ts reaches no heavy package (database, broker, fastify…)', (name) => {
    const { packages, files } = reachablePackages(join(COMMANDS_DIR, `${name}.help.ts`));
    const heavy = [...packages].filter((p) => HEAVY.some((h) => (h.endsWith('/') ? p.startsWith(h) : p === h || p.startsWith(`${h}/`))));
    expect(heavy, `reached through ${[...files].map((f) => f.slice(ROOT.length)).join(', ')}`).toEqual([]);
  });

  it.each(NAMES)('stockpulse %s --help prints the command\'s one help text', async (name) => {
    const { help } = await import(`../../bin/commands/${name}.help.ts`) as { help: string };
    const r = await runCli([name, '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(help.endsWith('\n') ? help : `${help}\n`);
    expect(r.stdout).toContain(`stockpulse ${name}`);
    // the command itself shows the same text (one text, not two that drift)
    const cmd = (await import(`../../bin/commands/${name}.ts`) as { default: { help: string } }).default;
    expect(cmd.help).toBe(help);
  });

  it('the jobs help lists every registered job with its schedule', async () => {
    const { help } = await import('../../bin/commands/jobs.help.ts');
    const line = help.split('\n').find((l) => l.startsWith('jobs: '));
    expect(line).toBe(`jobs: ${jobs.map((j) => `${j.name} (${j.schedule})`).join(', ')}`);
  });
});
