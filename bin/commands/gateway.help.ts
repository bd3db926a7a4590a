// The help text of `stockpulse gateway`, apart from the command so that `stockpulse gateway --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

import { CLOUD_BROKER_USER } from '../../cloud/gateways/registry.ts';

export const help = `stockpulse gateway — the gateway registry (who may send batches to the cloud, for what)

usage: stockpulse gateway add --id ID [--site SITE] [--zones Z1,Z2] [--sensors S1,S2] [--note TEXT]
       stockpulse gateway list
       stockpulse gateway revoke --id ID
       stockpulse gateway mosquitto --out DIR
options: --database-url URL (or DATABASE_URL), --data-dir DIR (PGlite, default ./data)

add      registers a gateway (or gives a revoked one a new credential) and prints its credential
         once: the gateway's MQTT password (uplink.username = ID, uplink.password = credential).
         --site, --zones, --sensors: what it owns from the start; left out, the first manifest
         claims its site and any zone or sensor nobody owns yet (trust on first use).
revoke   its batches are refused from now on; streams it opened stay refused after a re-add.
mosquitto writes DIR/passwd (Mosquitto $7$ hashes of the live gateways' credentials, and of the
         cloud's own login ${CLOUD_BROKER_USER} with the password in MQTT_PASSWORD) and DIR/acl
         (each gateway may publish only stockpulse/v1/gw/<its id>/batch). Run it again and
         reload Mosquitto (SIGHUP) after every add or revoke. See docs/deploy.md.
`;
