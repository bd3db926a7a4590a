import { stringify } from 'yaml';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { SpError } from '../../protocols/errors.ts';
import { startScenario, type FaultEvent } from '../../simulators/scenario-runner.ts';
import { scenarioEdgeConfig } from '../scenario-edge-config.ts';
import { getScenario, listScenarios } from '../../simulators/scenarios/index.ts';
import { startControlServer } from '../../simulators/control-server.ts';
import { parseFaultSpec, type FaultChange } from '../../simulators/faults.ts';
import { help, DEFAULT_PRINT_URL } from './sim.help.ts';

// the port edge/examples/bakery.yaml assumes; 1883 is often taken by a system Mosquitto


function intFlag(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new SpError('SP_ERR_VALIDATION', { field: flag, reason: `"${value}" is not a whole number in ${min}..${max}` });
  }
  return n;
}

function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new SpError('SP_ERR_VALIDATION', { field: flag, reason: `"${value}" is not a number > 0` });
  return n;
}

function parse(argv: string[]) {
  try {
    return parseCommandArgs({ name: 'sim' }, argv, {
      scenario: { type: 'string' },
      'mqtt-url': { type: 'string' },
      'modbus-host': { type: 'string' },
      'modbus-port': { type: 'string' },
      'publish-ms': { type: 'string' },
      'time-scale': { type: 'string' },
      fault: { type: 'string', multiple: true },
      'control-port': { type: 'string' },
      seed: { type: 'string' },
      'print-edge-config': { type: 'boolean' },
      'alarm-delay-sec': { type: 'string' },
      list: { type: 'boolean' },
    });
  } catch (e) {
    // node's parseArgs errors name the flag; give them our code and point at --help
    throw new SpError('SP_ERR_VALIDATION', { field: 'argv', reason: `${e instanceof Error ? e.message : String(e)} (see stockpulse sim --help)` });
  }
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function faultLine(e: FaultEvent): string {
  return `fault ${e.fault} on ${e.target}: ${e.active ? 'ACTIVE' : 'cleared'}`;
}

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv);
  if (positionals.length) throw new SpError('SP_ERR_VALIDATION', { field: 'argv', reason: `unexpected argument "${positionals[0]}" (see stockpulse sim --help)` });

  if (v.list) {
    for (const s of listScenarios()) process.stdout.write(`${s.name}\t${s.summary}\n`);
    return 0;
  }
  const name = v.scenario ?? 'bakery';
  getScenario(name, '--scenario'); // unknown names fail here, listing the known ones
  const modbusPort = intFlag(v['modbus-port'], '--modbus-port', 0, 65535);
  const publishMs = intFlag(v['publish-ms'], '--publish-ms', 10);
  const timeScale = numberFlag(v['time-scale'], '--time-scale');
  const controlPort = intFlag(v['control-port'], '--control-port', 0, 65535);
  const seed = intFlag(v.seed, '--seed', 0);
  const faults: FaultChange[] = (v.fault ?? []).map((f) => parseFaultSpec(f, '--fault'));

  if (v['print-edge-config']) {
    const delaySec = intFlag(v['alarm-delay-sec'], '--alarm-delay-sec', 0);
    const cfg = scenarioEdgeConfig(name, {
      mqttUrl: v['mqtt-url'] ?? DEFAULT_PRINT_URL,
      modbusHost: v['modbus-host'],
      modbusPort: modbusPort || undefined,
      publishMs,
      alarm: delaySec !== undefined ? { delaySec } : undefined,
      // defrost schedules follow the simulator's time scale
      ...(timeScale !== undefined ? { timeScale } : {}),
    });
    process.stdout.write(`# edge gateway config for simulator scenario "${name}" (stockpulse sim --print-edge-config)\n`);
    process.stdout.write(stringify(cfg));
    return 0;
  }

  const mqttUrl = v['mqtt-url'];
  if (!mqttUrl) throw new SpError('SP_ERR_VALIDATION', { field: '--mqtt-url', reason: 'required: the broker the devices publish to, e.g. mqtt://127.0.0.1:1883' });

  const handle = await startScenario(name, { mqttUrl, modbusHost: v['modbus-host'], modbusPort, publishMs, timeScale, seed, faults });
  handle.onFaultChange((e) => log(faultLine(e)));
  const status = handle.status();
  log(`scenario ${name} running (time scale ${status.timeScale}); Ctrl-C stops`);
  for (const d of status.devices) log(`  ${d.id.padEnd(16)} ${d.endpoint}`);
  for (const f of status.faults) log(faultLine({ ...f, active: true }));

  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  try {
    if (controlPort !== undefined) {
      control = await startControlServer(handle, { port: controlPort });
      log(`control API on ${control.url}/faults`);
    }
  } catch (e) {
    await handle.stop();
    throw e;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log(`${signal}: stopping`);
  await control?.close();
  await handle.stop();
  log('stopped');
  return 0;
}

const sim: Command = {
  name: 'sim',
  summary: 'run a simulator scenario (virtual sensors, with fault injection)',
  help,
  run,
};
export default sim;
