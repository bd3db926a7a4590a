import type { Command } from './command.ts';
import { printError } from './command.ts';

// Commands load lazily so `stockpulse decode` does not pay for the database or the broker, and
// `stockpulse NAME --help` loads only NAME's help module (commands/NAME.help.ts, light imports
// only), not the command with its database, broker and fastify.
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command>; help: () => Promise<string> }> = {
  demo: { summary: 'everything on embedded defaults: broker, database, simulators, edge, cloud, dashboard', load: async () => (await import('./commands/demo.ts')).default, help: async () => (await import('./commands/demo.help.ts')).help },
  edge: { summary: 'run one edge gateway from its config file', load: async () => (await import('./commands/edge.ts')).default, help: async () => (await import('./commands/edge.help.ts')).help },
  cloud: { summary: 'run the cloud: MQTT ingest, REST API, dashboard', load: async () => (await import('./commands/cloud.ts')).default, help: async () => (await import('./commands/cloud.help.ts')).help },
  sim: { summary: 'run a simulator scenario (virtual sensors, with fault injection)', load: async () => (await import('./commands/sim.ts')).default, help: async () => (await import('./commands/sim.help.ts')).help },
  migrate: { summary: 'apply database migrations and report the engine found', load: async () => (await import('./commands/migrate.ts')).default, help: async () => (await import('./commands/migrate.help.ts')).help },
  decode: { summary: 'decode one frame and print the reading as JSON (field technician tool)', load: async () => (await import('./commands/decode.ts')).default, help: async () => (await import('./commands/decode.help.ts')).help },
  verify: { summary: 'recompute stock balances from the ledger and report differences', load: async () => (await import('./commands/verify.ts')).default, help: async () => (await import('./commands/verify.help.ts')).help },
  token: { summary: 'create, list or revoke API tokens (each carries a role)', load: async () => (await import('./commands/token.ts')).default, help: async () => (await import('./commands/token.help.ts')).help },
  gateway: { summary: 'register, list or revoke gateways; write the Mosquitto password file and ACL', load: async () => (await import('./commands/gateway.ts')).default, help: async () => (await import('./commands/gateway.help.ts')).help },
  replay: { summary: 'run the alarm rules over recorded readings (CSV) and print alerts as JSON lines', load: async () => (await import('./commands/replay.ts')).default, help: async () => (await import('./commands/replay.help.ts')).help },
  jobs: { summary: 'list the scheduled jobs (expiry sweep, …) or run one now', load: async () => (await import('./commands/jobs.ts')).default, help: async () => (await import('./commands/jobs.help.ts')).help },
  deadletter: { summary: 'list or count a gateway\'s dead letters (frames it could not use, with their coded reason)', load: async () => (await import('./commands/deadletter.ts')).default, help: async () => (await import('./commands/deadletter.help.ts')).help },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'stockpulse — IoT inventory and cold-chain platform',
    '',
    'usage: stockpulse COMMAND [options]     (stockpulse COMMAND --help for details)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`error: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const help = await entry.help();
    process.stdout.write(help.endsWith('\n') ? help : help + '\n');
    return 0;
  }
  const cmd = await entry.load();
  try {
    return await cmd.run(rest);
  } catch (e) {
    printError(e);
    return 1;
  }
}
