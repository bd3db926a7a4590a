// The help text of `stockpulse migrate`, apart from the command so that `stockpulse migrate --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `stockpulse migrate — apply the database migrations and report what was found

usage: stockpulse migrate [--database-url URL] [--data-dir DIR] [--timescale auto|off|require]

Without --database-url (or DATABASE_URL) the embedded PGlite database under DIR/cloud-pglite
(default ./data) is migrated. With TimescaleDB available, readings becomes a hypertable with
compression and retention policies and per-minute/hour continuous aggregates.
Safe to run while other instances start: migrations take an advisory lock.
With \`stockpulse demo\` or \`stockpulse cloud\` running on the embedded database (PGlite),
this stops with SP_ERR_CONFLICT naming that process and its URL: stop it, or use its API.
`;
