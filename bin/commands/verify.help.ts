// The help text of `stockpulse verify`, apart from the command so that `stockpulse verify --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `stockpulse verify — recompute stock from the ledger and report every difference

usage: stockpulse verify [--database-url URL] [--data-dir DIR] [--json]

Recomputes balances per item/location/lot from the movements, reserved quantities from open
reservations and channel-pool usage from the reservations drawn on them, and lists balances
below zero on items that do not allow it and items with less on hand than is reserved
(over_reserved: holds that can no longer be served). Read-only. Exit code 0 when everything matches,
1 when there are differences (fix them with a correcting movement, never by editing rows).
With \`stockpulse demo\` or \`stockpulse cloud\` running on the embedded database (PGlite),
this stops with SP_ERR_CONFLICT naming that process and its URL: stop it, or use its API.
`;
