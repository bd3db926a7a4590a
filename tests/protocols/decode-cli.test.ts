import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TASMOTA_SCD30_F, Z2M_CONTACT_OPEN } from './fixtures/mqtt-json-frames.ts';

// Spawns the real CLI (bin/stockpulse.js registers tsx) the way a technician runs it.


const cli = (args: string[], stdin?: string) => runCli(['decode', ...args], { stdin: stdin ?? '' });

function expectCodedError(r: { code: number | null; stdout: string; stderr: string }, code: string, field: string) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`error ${code}`);
  expect(r.stderr).toContain(`  ${field}: `);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
}

describe('stockpulse decode', () => {
  it('mqtt-json: every kind found, with the device timestamp and sensor "cli"', async () => {
    const r = await cli(['mqtt-json', '{"ts":1764096000000,"temperature":4.21,"battery":97}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { sensor: 'cli', kind: 'temperature', ts: 1764096000000, value: 4.21, quality: 'good' },
      { sensor: 'cli', kind: 'battery', ts: 1764096000000, value: 97, quality: 'good' },
    ]);
  });

  it('mqtt-json: --kind/--sensor with stdin input; --field path (Tasmota °F → °C)', async () => {
    const [door, tas] = await Promise.all([
      cli(['mqtt-json', '-', '--kind', 'door', '--sensor', 'dock-door'], Z2M_CONTACT_OPEN),
      cli(['mqtt-json', TASMOTA_SCD30_F, '--kind', 'temperature', '--field', 'SCD30.Temperature']),
    ]);
    expect(JSON.parse(door.stdout)).toEqual([expect.objectContaining({ sensor: 'dock-door', kind: 'door', value: 1 })]);
    expect(JSON.parse(tas.stdout)[0].value).toBeCloseTo(22.111, 3);
  });

  it('modbus: registers + --map JSON, a map file, shorthand flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-decode-'));
    const mapFile = join(dir, 'map.json');
    writeFileSync(mapFile, '{"type":"float32","wordOrder":"little"}');
    const [inline, file, short] = await Promise.all([
      cli(['modbus', '0x41a4,0x0000', '--map', '{"type":"float32","wordOrder":"big"}']),
      cli(['modbus', '0x0000,0x41a4', '--map', mapFile]),
      cli(['modbus', '65351', '--type', 'int16', '--scale', '0.1', '--offset=-1']),
    ]);
    expect(inline.code).toBe(0);
    expect(JSON.parse(inline.stdout)).toEqual({ value: 20.5, type: 'float32', registers: [0x41a4, 0] });
    expect(JSON.parse(file.stdout)).toEqual({ value: 20.5, type: 'float32', registers: [0, 0x41a4] });
    expect(JSON.parse(short.stdout).value).toBeCloseTo(-19.5, 9); // 65351 = -185 as int16
  });

  it('errors: coded, naming the field, exit 1, no stack trace', async () => {
    // (each spawn costs ~0.6 s of tsx start-up; the decoders' own error cases are unit-tested)
    const [unknown, badReg, badMap, badJson, foreign] = await Promise.all([
      cli(['opcua', 'x']),
      cli(['modbus', '0x41a4,zz', '--type', 'float32']),
      cli(['modbus', '1,2', '--map', '{"type":"float16"}']),
      cli(['mqtt-json', '{"temperature":']),
      cli(['mqtt-json', '{"temperature":1}', '--type', 'int16']),
    ]);
    expectCodedError(unknown, 'SP_ERR_UNKNOWN_PROTOCOL', 'PROTOCOL');
    expect(unknown.stderr).toContain('mqtt-json, modbus');
    expectCodedError(badReg, 'SP_ERR_MODBUS_REGISTERS', 'registers.1');
    expectCodedError(badMap, 'SP_ERR_MODBUS_MAP', 'type');
    expectCodedError(badJson, 'SP_ERR_DECODE', 'payload');
    expectCodedError(foreign, 'SP_ERR_VALIDATION', 'type');
  });

  it('--help shows usage with examples', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: stockpulse decode PROTOCOL INPUT');
    expect(r.stdout).toContain("stockpulse decode modbus 0x41a4,0x0000 --map '{\"type\":\"float32\",\"wordOrder\":\"big\"}'");
  });
});
