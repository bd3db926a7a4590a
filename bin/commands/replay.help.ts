// The help text of `stockpulse replay`, apart from the command so that `stockpulse replay --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `stockpulse replay — run the alarm rules over recorded readings and print the alerts

usage: stockpulse replay --config FILE --input FILE [options]

  -c, --config FILE     the gateway config (YAML or JSON): zones, their rules, sensors
  -i, --input FILE      readings CSV ("-" for stdin). Header required: ts,sensor,value[,door][,defrost]
                          ts     ISO-8601 (2024-05-01T08:00:00Z) or epoch milliseconds
                          sensor a sensor id from the config (its zone and kind come from there)
                          value  °C for temperature sensors, 1/0 (open/closed) for door sensors,
                                 1/0 (on/off) for defrost outputs
                          door   optional: 1/0/open/closed/true/false, the zone's door at that time
                          defrost optional: 1/0/on/off/true/false, the zone's defrost output at that
                                 time; with this column, zones that declare defrost take their
                                 defrost periods from it instead of their schedule
      --delay SEC       alarm delay for every zone (instead of each zone's delaySec)
      --hysteresis C    clear margin in °C for every zone (instead of each zone's hysteresis)
      --door-grace SEC  door-open grace for every zone (instead of each zone's doorGraceSec)
      --reorder SEC     rows may be out of time order by up to this much (default 300)
  -h, --help            this text

Output: one JSON line per alert transition (raised / cleared, same id), in event-time order.
Stderr: rejected rows with their line number (SP_ERR_INPUT), then a summary. Exit code 0 when
the file was replayed (rejected rows included), 1 when it could not be (bad config, no header).

example: compare a 5 and a 10 minute delay on last month's data
  stockpulse replay -c edge/examples/bakery.yaml -i may.csv --delay 300 | wc -l
  stockpulse replay -c edge/examples/bakery.yaml -i may.csv --delay 600 | wc -l
`;
