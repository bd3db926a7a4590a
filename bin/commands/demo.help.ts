// The help text of `stockpulse demo`, apart from the command so that `stockpulse demo --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

export const help = `stockpulse demo — the whole system on embedded defaults (what \`npm start\` runs)

usage: stockpulse demo [--port N] [--mqtt-port N] [--data-dir DIR] [--delay SEC] [--time-scale N]

Starts, in one process: an MQTT broker (aedes), the cloud (PGlite database kept under DIR,
MQTT ingest, REST API, dashboard), the 'bakery' simulator (a chiller with two MQTT probes and a
door contact, a freezer with a Modbus TCP controller) and one edge gateway watching it.
Prints the dashboard URL. Ctrl-C stops everything cleanly.

  --port N         dashboard/API port (default HTTP_PORT or 3000)
  --mqtt-port N    embedded broker port (default MQTT_PORT or 0 = any free port;
                   1883 is usually taken by a system broker)
  --data-dir DIR   where the database lives (default STOCKPULSE_DATA_DIR or ./data)
  --delay SEC      alarm delay for every zone (default 60; production configs use 300–600)
  --time-scale N   simulated minutes pass N× faster (default 30: a dead compressor shows in
                   minutes instead of an hour)
  --webhook URL    also send alerts to this URL (repeatable); the demo's own inbox at
                   /api/demo/webhook-inbox always receives them

Try it: open the dashboard, press "compressor_failure" on the chiller in the Simulator box, and
watch the chiller climb past 8 °C, the alert appear after the delay, and the webhook inbox log it.
`;
