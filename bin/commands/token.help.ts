// The help text of `stockpulse token`, apart from the command so that `stockpulse token --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

import { ROLES } from '../../cloud/auth/permissions.ts';

export const help = `stockpulse token — manage API tokens (each carries one role)

usage: stockpulse token create --role ROLE --name NAME
       stockpulse token list
       stockpulse token revoke --id ID
options: --database-url URL (or DATABASE_URL), --data-dir DIR (PGlite, default ./data)

roles: ${ROLES.join(', ')} (what each may do: docs/inventory.md, cloud/auth/permissions.ts)
The token is printed once; only its SHA-256 is stored. Send it as
"Authorization: Bearer <token>", or open the dashboard at /#token=<token>.
With \`stockpulse demo\` or \`stockpulse cloud\` running on the embedded database (PGlite),
this stops with SP_ERR_CONFLICT naming that process and its URL: stop it, or use its API.
`;
