import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SpError, type ErrorDetail } from '../../protocols/errors.ts';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { loadEdgeConfig } from '../../edge/config.ts';
import { replayReadings, withAlarmOverrides, type AlarmOverrides } from '../../edge/replay/index.ts';
import { parseCommandArgs, type Command } from '../command.ts';
import { help } from './replay.help.ts';

// Alerts go to stdout as JSON lines (pipe them into jq or a file); everything meant for the
// person running it (rejected rows, the summary) goes to stderr so it never mixes with the data.

const MAX_REJECT_LINES = 50;


function numberFlag(name: string, text: string | undefined, errors: ErrorDetail[]): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
    errors.push({ field: `--${name}`, reason: `"${text}" is not a number ≥ 0` });
    return undefined;
  }
  return n;
}

async function openInput(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new SpError('SP_ERR_INPUT', { field: '--input', reason: `${path} is not a file` });
  } catch (e) {
    if (e instanceof SpError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SpError('SP_ERR_INPUT', { field: '--input', reason: code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path} (${code})` });
  }
  return createReadStream(path);
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

const command: Command = {
  name: 'replay',
  summary: 'run the alarm rules over recorded readings (CSV) and print alerts as JSON lines',
  help,
  async run(argv) {
    const { values } = parseCommandArgs(command, argv, {
      config: { type: 'string', short: 'c' },
      input: { type: 'string', short: 'i' },
      delay: { type: 'string' },
      hysteresis: { type: 'string' },
      'door-grace': { type: 'string' },
      reorder: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(help);
      return 0;
    }
    const errors: ErrorDetail[] = [];
    if (!values.config) errors.push({ field: '--config', reason: 'required: the gateway config file (YAML or JSON)' });
    if (!values.input) errors.push({ field: '--input', reason: 'required: the readings CSV (or - for stdin)' });
    const overrides: AlarmOverrides = {
      delaySec: numberFlag('delay', values.delay, errors),
      hysteresis: numberFlag('hysteresis', values.hysteresis, errors),
      doorGraceSec: numberFlag('door-grace', values['door-grace'], errors),
    };
    const reorderSec = numberFlag('reorder', values.reorder, errors);
    if (errors.length) throw new SpError('SP_ERR_VALIDATION', errors);

    const config = await loadEdgeConfig(values.config!);
    const input = await openInput(values.input!);
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });

    // `replay ... | head` closes stdout early: stop writing, keep counting, no EPIPE crash.
    let stdoutOpen = true;
    let drained: (() => void) | undefined;
    process.stdout.on('error', () => {
      stdoutOpen = false;
      drained?.(); // a write waiting for 'drain' would wait forever
    });
    const onAlert = (e: AlertEvent): Promise<void> | undefined => {
      if (!stdoutOpen || process.stdout.write(JSON.stringify(e) + '\n')) return undefined;
      return new Promise((resolve) => {
        drained = resolve;
        process.stdout.once('drain', resolve);
      });
    };
    let shown = 0;
    const summary = await replayReadings({
      config, lines, overrides, reorderSec, onAlert,
      onReject: (_line, err) => {
        if (shown++ < MAX_REJECT_LINES) process.stderr.write(`${err.message}\n`);
      },
    });
    if (shown > MAX_REJECT_LINES) process.stderr.write(`… ${shown - MAX_REJECT_LINES} more rejected rows not shown\n`);

    const s = summary;
    process.stderr.write(
      `replay: ${s.rows} rows read (${s.replayed} replayed, ${s.ignored} of other kinds), ${s.rejected} rejected; `
      + `alerts: ${s.raised} raised, ${s.cleared} cleared, ${s.stillActive} still active at the end; `
      + `data ${iso(s.firstTs)} … ${iso(s.lastTs)}\n`,
    );
    for (const z of withAlarmOverrides(config.zones, overrides)) {
      const a = z.alarm;
      const cum = a.cumulative ? `, cumulative ${a.cumulative.limitSec} s per ${a.cumulative.windowSec} s` : '';
      const w = a.warning ? `, warning${a.warning.high !== undefined ? ` ≥ ${a.warning.high} °C` : ''}${a.warning.low !== undefined ? ` ≤ ${a.warning.low} °C` : ''} after ${a.warning.delaySec ?? a.delaySec} s` : '';
      const d = z.defrost ? `, defrost max ${z.defrost.maxDurationMin} min + ${z.defrost.recoveryMin} min recovery` : '';
      const p = z.product ? `, rules on the simulated product (τ ${z.product.tauMin} min)` : '';
      process.stderr.write(`  rules ${z.id}: delay ${a.delaySec} s, hysteresis ${a.hysteresis} °C, door grace ${a.doorGraceSec} s${cum}${w}${d}${p}\n`);
    }
    return 0;
  },
};

export default command;
