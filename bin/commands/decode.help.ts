// The help text of `stockpulse decode`, apart from the command so that `stockpulse decode --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

import { READING_KINDS } from '../../protocols/reading.ts';

/** one line per protocol `stockpulse decode` knows; decode.ts's table takes its summaries from here */
export const DECODER_SUMMARIES = {
  'mqtt-json': 'a JSON payload (generic, zigbee2mqtt, Tasmota, Shelly gen2) → readings',
  modbus: 'comma-separated 16-bit registers + a register map → value',
  epc: 'an RFID tag EPC in hex → GS1 identity (SGTIN-96/198, SSCC-96, GRAI-96), GTIN, URIs',
  'mt-sics': 'one Mettler Toledo MT-SICS response line (S S 12.345 kg, S D, S I, S +, Z A, T S) → meaning',
  'weight-stream': 'one continuous indicator line (ST,GS,+0012.345kg; US/OL, NT) → weight sample',
} as const;
export type DecoderName = keyof typeof DECODER_SUMMARIES;

export const help = `usage: stockpulse decode PROTOCOL INPUT [options]

Decodes one frame exactly as the gateway would and prints the result as JSON on stdout.
Errors print their code and the offending field on stderr (exit code 1).
INPUT may be "-" to read standard input, or @FILE to read a file.

protocols:
${Object.entries(DECODER_SUMMARIES).map(([name, summary]) => `  ${name.padEnd(13)} ${summary}`).join('\n')}

mqtt-json options:
  --kind KIND      decode only this kind (${READING_KINDS.join(', ')});
                   default: every kind found in the payload
  --field PATH     dotted path of the value (with --kind), e.g. DS18B20.Temperature
  --sensor ID      sensor id put in the readings (default "cli")

modbus options:
  --map JSON|FILE  register map, e.g. '{"type":"float32","wordOrder":"little","scale":0.1}'
  --type T         int16 | uint16 | int32 | uint32 | float32 | float64
  --byte-order O   big | little   (bytes inside each register)
  --word-order O   big | little   (register order of 32/64-bit values; little = CDAB)
  --scale N        value = raw × scale + offset
  --offset N       (negative: --offset=-40)
  Shorthand flags override the same keys of --map.

examples:
  stockpulse decode mqtt-json '{"ts":1764096000000,"temperature":4.21,"battery":97}'
  stockpulse decode mqtt-json '{"contact":false,"battery":100}' --kind door --sensor dock-door
  stockpulse decode mqtt-json '{"Time":"2023-08-27T19:20:20","DS18B20":{"Temperature":21.0},"TempUnit":"C"}'
  mosquitto_sub -C 1 -t zigbee2mqtt/fridge | stockpulse decode mqtt-json -
  stockpulse decode modbus 0x41a4,0x0000 --map '{"type":"float32","wordOrder":"big"}'
  stockpulse decode modbus 0x0000,0x41a4 --type float32 --word-order little
  stockpulse decode modbus 65351 --type int16 --scale 0.1
  stockpulse decode epc 3074257BF7194E4000001A85
  stockpulse decode mt-sics 'S S      12.345 kg'
  stockpulse decode weight-stream 'ST,GS,+0012.345kg'
`;
