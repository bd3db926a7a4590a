// The help text of `stockpulse sim`, apart from the command so that `stockpulse sim --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

import { FAULTS } from '../../simulators/faults.ts';

export const DEFAULT_PRINT_URL = 'mqtt://127.0.0.1:18830';

export const help = `stockpulse sim — run a simulator scenario: virtual sensors on a real MQTT broker and a
real Modbus TCP port, with fault injection. Runs until Ctrl-C.

usage: stockpulse sim [--scenario NAME] --mqtt-url URL [options]

options:
  --scenario NAME         scenario to run (default: bakery); --list shows them all
  --mqtt-url URL          broker the MQTT devices publish to (mqtt://host:port); required to
                          run, defaults to ${DEFAULT_PRINT_URL} with --print-edge-config
  --modbus-host HOST      address the Modbus devices listen on (default 127.0.0.1)
  --modbus-port N         first Modbus device port (default: the scenario's, bakery 15020;
                          0 = any free port)
  --publish-ms N          probe reporting interval in ms (default 5000)
  --time-scale N          model seconds per real second: 60 makes a 6 h defrost cycle
                          come round every 6 min (frame timestamps stay real; default 1)
  --fault TARGET:FAULT    start with a fault on (repeatable). TARGET is a zone or device id;
                          FAULT is one of ${FAULTS.join(', ')}
  --control-port N        serve the fault control API on 127.0.0.1:N (0 = any free port):
                            GET  /faults   status: zones, devices, values, active faults
                            POST /faults   {"target":"chiller","fault":"door_open","active":true}
  --seed N                seed for the noise, to replay a run exactly
  --print-edge-config     print the edge gateway config (YAML) that watches this scenario, exit
  --alarm-delay-sec N     with --print-edge-config: use this alarm delay in every zone
  --list                  list the scenarios and exit

faults:
  door_open            the door is left open: warm air, the door contact reports "open"
  compressor_failure   no cooling: slow first-order rise toward ambient (~20 °C)
  dropout              the device goes silent (MQTT stops publishing, Modbus stops answering)
  garbage              malformed frames (truncated JSON, wrong types, random bytes) between
                       good ones; Modbus answers NaN (0x7FC0 0x0000)
  Zone faults given a device id apply to its zone; device faults given a zone apply to every
  device in it.

examples:
  stockpulse sim --scenario bakery --mqtt-url mqtt://127.0.0.1:1883
  stockpulse sim --mqtt-url mqtt://127.0.0.1:1883 --publish-ms 1000 --time-scale 60 \\
      --fault chiller:compressor_failure --fault freezer-ctrl:garbage
  stockpulse sim --mqtt-url mqtt://127.0.0.1:1883 --control-port 8090 &
  curl -s localhost:8090/faults
  curl -s -XPOST localhost:8090/faults -d '{"target":"chiller","fault":"door_open","active":true}'
  stockpulse sim --print-edge-config --mqtt-url mqtt://127.0.0.1:1883 --alarm-delay-sec 60 > edge.yaml
`;
