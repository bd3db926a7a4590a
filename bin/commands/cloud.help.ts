// The help text of `stockpulse cloud`, apart from the command so that `stockpulse cloud --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `stockpulse cloud — MQTT ingest, REST API (/api, OpenAPI at /docs), dashboard (/)

usage: stockpulse cloud [--port N] [--mqtt-url URL] [--database-url URL]

Configuration comes from the environment (flags override):
  MQTT_URL                 broker the gateways publish to (required), e.g. mqtt://broker:1883
  MQTT_USERNAME/PASSWORD   broker credentials
  MQTT_PROTOCOL_VERSION    4 or 5 (default: 5 with STOCKPULSE_SHARE_GROUP, else 4)
  STOCKPULSE_SHARE_GROUP   join an MQTT shared subscription group ($share/GROUP/...) so several
                           cloud instances split the ingest (docs/deploy.md)
  DATABASE_URL             postgres://… (PostgreSQL or TimescaleDB); absent = PGlite under
                           STOCKPULSE_DATA_DIR (default ./data)
  STOCKPULSE_TIMESCALE     auto (default: use TimescaleDB when the extension is available),
                           off, or require
  HTTP_HOST / HTTP_PORT    listen address (default 0.0.0.0:3000)
  STOCKPULSE_WEBHOOKS      comma-separated URLs that receive every alert transition as JSON
  STOCKPULSE_MQTT_ALERTS   publish alerts on stockpulse/v1/alerts/{zone} (default true)
  LOG_LEVEL                info (default), debug, warn

example:
  MQTT_URL=mqtt://127.0.0.1:1883 DATABASE_URL=postgres://postgres@127.0.0.1/stockpulse stockpulse cloud
`;
