import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SpError, isSpError } from '../protocols/errors.ts';

/** One CLI subcommand. `run` returns the process exit code; it prints its own output. */
export interface Command {
  name: string;
  summary: string;
  /** full help text shown by `stockpulse NAME --help` */
  help: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with our conventions: `--help` is always accepted, unknown flags are an error that
 * names the flag and points at --help.
 */
export function parseCommandArgs<O extends Options>(cmd: Pick<Command, 'name'>, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    // node's parseArgs: unknown flag, missing value… — a usage error to explain, not a crash
    throw new SpError('SP_ERR_VALIDATION', { field: 'argv', reason: `${(e as Error).message} (see stockpulse ${cmd.name} --help)` });
  }
}

/** Prints an error for a person: coded errors as `CODE field: reason` lines, anything else by message. */
export function printError(e: unknown): void {
  if (isSpError(e)) {
    process.stderr.write(`error ${e.code}\n`);
    for (const d of e.details) process.stderr.write(`  ${d.field}: ${d.reason}\n`);
  } else {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
