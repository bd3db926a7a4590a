// The help text of `stockpulse cloud`, apart from the command so that `stockpulse cloud --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

import { cloudEnvHelp } from '../../cloud/config.ts';

export const help = `stockpulse cloud — MQTT ingest, REST API (/api, OpenAPI at /docs), dashboard (/)

usage: stockpulse cloud [--port N] [--mqtt-url URL] [--database-url URL]

Configuration comes from the environment (flags override; a bad value stops the start with
SP_ERR_CONFIG naming the variable):
${cloudEnvHelp()}

example:
  MQTT_URL=mqtt://127.0.0.1:1883 DATABASE_URL=postgres://postgres@127.0.0.1/stockpulse stockpulse cloud
`;
