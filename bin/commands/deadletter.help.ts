// The help text of `stockpulse deadletter`, apart from the command so that `stockpulse deadletter --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `usage: stockpulse deadletter list  --config FILE [--limit N] [--source DEVICE] [--json]
       stockpulse deadletter count --config FILE [--json]

Shows a gateway's dead letters: frames its devices sent that it could not use, and uplink
batches the cloud rejected, each with its coded reason (SP_ERR_*). They are read from the
gateway's store, <storage.dir>/<gateway.id>.sqlite, as named by the gateway config file.

  --config FILE    the gateway's config (YAML or JSON), the same file \`stockpulse edge\` runs
  --limit N        list: the newest N (default 50)
  --source DEVICE  list: only those of this device id ("uplink" for rejected batches)
  --json           machine-readable output (list: JSON array, newest first; count: object)

The store keeps the newest 100 000 dead letters; count also reports how many there ever were.

examples:
  stockpulse deadletter count --config edge/examples/bakery.yaml
  stockpulse deadletter list --config edge/examples/bakery.yaml --source chiller-probe --limit 10
`;
