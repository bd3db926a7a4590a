// The help text of `stockpulse edge`, apart from the command so that `stockpulse edge --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `stockpulse edge — run one edge gateway

usage: stockpulse edge --config FILE [--check]

  --config FILE   gateway config (YAML or JSON): gateway id and site, device broker, uplink,
                  zones with their alarm rules, devices and their points.
                  \${VAR} and \${VAR:-default} in strings are taken from the environment.
  --check         validate the config, list every problem with its path, and exit

The gateway reads its devices, evaluates the zones' alarm rules locally (they work with the
cloud unreachable), and sends readings and alerts to the cloud in acknowledged batches.

example:
  MQTT_URL=mqtt://127.0.0.1:18830 stockpulse edge --config edge/examples/bakery.yaml
`;
