import { readFileSync } from 'node:fs';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { SpError, type ErrorCode } from '../../protocols/errors.ts';
import { READING_KINDS, type ReadingKind } from '../../protocols/reading.ts';
import { decodeMqttJson, decodeMqttJsonDetailed } from '../../protocols/mqtt-json/decode.ts';
import { decodeRegisters, parseRegisterPoint } from '../../protocols/modbus/register-map.ts';
import { decodeEpc } from '../../protocols/epc/decode.ts';
import { mtSicsToSample, parseMtSicsLine } from '../../protocols/scale/mt-sics.ts';
import { parseWeightStreamLine, weightStreamToSample } from '../../protocols/scale/weight-stream.ts';
import { help as HELP, DECODER_SUMMARIES, type DecoderName } from './decode.help.ts';

// `stockpulse decode PROTOCOL INPUT`: a field technician pastes what a device sent and sees
// the reading stockpulse would make of it — or the coded error saying which field is wrong.
// One entry per protocol in DECODERS; adding a protocol = adding an entry (and its options).

const OPTIONS = {
  kind: { type: 'string' },
  field: { type: 'string' },
  sensor: { type: 'string' },
  map: { type: 'string' },
  type: { type: 'string' },
  'byte-order': { type: 'string' },
  'word-order': { type: 'string' },
  scale: { type: 'string' },
  offset: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = Partial<Record<OptionName, string>>;

interface ProtocolDecoder {
  summary: string;
  /** the options this protocol understands; any other is rejected by name */
  options: readonly OptionName[];
  /** INPUT (already read from stdin / @file) → what to print as JSON */
  decode(input: string, values: Values): unknown;
}

const fail = (code: ErrorCode, field: string, reason: string) => new SpError(code, { field, reason });

// ---- mqtt-json ------------------------------------------------------------------------------

function decodeMqttJsonInput(input: string, v: Values): unknown {
  const sensor = v.sensor ?? 'cli';
  const now = Date.now();
  if (v.kind !== undefined) {
    if (!(READING_KINDS as readonly string[]).includes(v.kind)) {
      throw fail('SP_ERR_VALIDATION', 'kind', `"${v.kind}" is not a reading kind (one of: ${READING_KINDS.join(', ')})`);
    }
    return decodeMqttJson(input, [{ sensor, kind: v.kind as ReadingKind, field: v.field }], now);
  }
  if (v.field !== undefined) throw fail('SP_ERR_VALIDATION', 'kind', '--field needs --kind (which kind of value sits at that path?)');
  // No kind given: every kind whose value is found, as the gateway would with one point per kind.
  const { readings, problems } = decodeMqttJsonDetailed(input, READING_KINDS.map((kind) => ({ sensor, kind })), now);
  if (readings.length > 0) return readings;
  const bad = problems.filter((p) => !p.missing).map(({ field, reason }) => ({ field, reason }));
  if (bad.length > 0) throw new SpError('SP_ERR_DECODE', bad);
  throw fail('SP_ERR_DECODE', 'payload', `no known value found (kinds: ${READING_KINDS.join(', ')}); name one with --kind and --field`);
}

// ---- modbus ---------------------------------------------------------------------------------

function parseRegisterList(input: string): number[] {
  const parts = input.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw fail('SP_ERR_MODBUS_REGISTERS', 'registers', 'no registers given (e.g. 0x41a4,0x0000)');
  return parts.map((s, i) => {
    if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
    if (/^\d+$/.test(s)) return parseInt(s, 10);
    throw fail('SP_ERR_MODBUS_REGISTERS', `registers.${i}`, `"${s}" is not a register value (decimal or 0x-hex, 0..65535)`);
  });
}

/** --map is inline JSON or the path of a JSON file. */
function readMap(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let json = text;
  if (!text.trimStart().startsWith('{')) {
    try {
      json = readFileSync(text, 'utf8');
    } catch (e) {
      throw fail('SP_ERR_INPUT', 'map', `neither inline JSON nor a readable file: ${(e as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw fail('SP_ERR_MODBUS_MAP', 'map', `not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail('SP_ERR_MODBUS_MAP', 'map', 'must be a JSON object like {"type":"float32"}');
  return parsed as Record<string, unknown>;
}

function numberOption(v: string, field: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw fail('SP_ERR_MODBUS_MAP', field, `"${v}" is not a finite number`);
  return n;
}

function decodeModbusInput(input: string, v: Values): unknown {
  const registers = parseRegisterList(input);
  const map: Record<string, unknown> = { address: 0, ...readMap(v.map) }; // the address does not matter here: the registers are given
  if (v.type !== undefined) map.type = v.type;
  if (v['byte-order'] !== undefined) map.byteOrder = v['byte-order'];
  if (v['word-order'] !== undefined) map.wordOrder = v['word-order'];
  if (v.scale !== undefined) map.scale = numberOption(v.scale, 'scale');
  if (v.offset !== undefined) map.offset = numberOption(v.offset, 'offset');
  const point = parseRegisterPoint(map);
  return { value: decodeRegisters(registers, point), type: point.type, registers };
}

// ---- the table ------------------------------------------------------------------------------

const DECODERS: Record<DecoderName, ProtocolDecoder> & Record<string, ProtocolDecoder | undefined> = {
  'mqtt-json': {
    summary: DECODER_SUMMARIES['mqtt-json'],
    options: ['kind', 'field', 'sensor'],
    decode: decodeMqttJsonInput,
  },
  modbus: {
    summary: DECODER_SUMMARIES['modbus'],
    options: ['map', 'type', 'byte-order', 'word-order', 'scale', 'offset'],
    decode: decodeModbusInput,
  },
  epc: {
    summary: DECODER_SUMMARIES['epc'],
    options: [],
    decode: (input) => decodeEpc(input.trim()),
  },
  'mt-sics': {
    summary: DECODER_SUMMARIES['mt-sics'],
    options: [],
    decode: (input) => { const response = parseMtSicsLine(input.trim()); return { response, sample: mtSicsToSample(response, Date.now()) ?? null }; },
  },
  'weight-stream': {
    summary: DECODER_SUMMARIES['weight-stream'],
    options: [],
    decode: (input) => { const line = parseWeightStreamLine(input.trim()); return { line, sample: weightStreamToSample(line, Date.now()) ?? null }; },
  },
};


function readInput(input: string): string {
  try {
    if (input === '-') return readFileSync(0, 'utf8');
    if (input.startsWith('@')) return readFileSync(input.slice(1), 'utf8');
  } catch (e) {
    throw fail('SP_ERR_INPUT', 'INPUT', `cannot read ${input === '-' ? 'standard input' : input.slice(1)}: ${(e as Error).message}`);
  }
  return input;
}

const command: Command = {
  name: 'decode',
  summary: 'decode one frame and print the reading as JSON (field technician tool)',
  help: HELP,
  async run(argv) {
    const parsed = parseCommandArgs(command, argv, OPTIONS);
    const [protocol, input, ...extra] = parsed.positionals;
    if (protocol === undefined) throw fail('SP_ERR_VALIDATION', 'PROTOCOL', `missing (one of: ${Object.keys(DECODERS).join(', ')})`);
    const decoder = DECODERS[protocol];
    if (!decoder) {
      throw fail('SP_ERR_UNKNOWN_PROTOCOL', 'PROTOCOL', `"${protocol}" is not known; known protocols: ${Object.keys(DECODERS).join(', ')}`);
    }
    if (input === undefined) throw fail('SP_ERR_VALIDATION', 'INPUT', `missing: the frame to decode (see stockpulse decode --help)`);
    if (extra.length > 0) throw fail('SP_ERR_VALIDATION', 'argv', `unexpected argument(s) ${extra.map((a) => JSON.stringify(a)).join(' ')} (quote the INPUT)`);
    const values = parsed.values as Values & { help?: boolean };
    const foreign = (Object.keys(values) as (OptionName | 'help')[]).filter((k) => k !== 'help' && !decoder.options.includes(k));
    if (foreign.length > 0) {
      throw new SpError('SP_ERR_VALIDATION', foreign.map((k) => ({ field: k, reason: `--${k} is not an option of ${protocol} (its options: ${decoder.options.map((o) => `--${o}`).join(' ')})` })));
    }
    const out = decoder.decode(readInput(input), values);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  },
};

export default command;
