import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { SpError } from '../../protocols/errors.ts';
import { loadEdgeConfig } from '../../edge/config.ts';
import { edgeStorePath } from '../../edge/outbox/store.ts';
import { openEdgeDbReadonly } from '../../edge/outbox/db.ts';
import { countDeadLetters, listDeadLetters } from '../../edge/outbox/sqlite-dead-letters.ts';
import type { DeadLetter } from '../../edge/dead-letters.ts';
import { help as HELP } from './deadletter.help.ts';

// `stockpulse deadletter list|count --config FILE`: what a gateway's devices sent that it could
// not use (and batches the cloud rejected), read straight from the gateway's store. Opens the
// file read-only, so it is safe while the gateway runs.


const OPTIONS = {
  config: { type: 'string', short: 'c' },
  limit: { type: 'string' },
  source: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const usageError = (field: string, reason: string) => new SpError('SP_ERR_VALIDATION', { field, reason: `${reason} (see stockpulse deadletter --help)` });

/** one line, at most `width` characters: payloads are often multi-line JSON or binary-ish text */
function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function table(rows: DeadLetter[]): string {
  const cols = [
    { head: 'AT (UTC)', get: (d: DeadLetter) => new Date(d.at).toISOString().replace('T', ' ').slice(0, 19) },
    { head: 'SOURCE', get: (d: DeadLetter) => d.source },
    { head: 'CODE', get: (d: DeadLetter) => d.code },
    { head: 'REASON', get: (d: DeadLetter) => clip(d.reason, 60) },
    { head: 'PAYLOAD', get: (d: DeadLetter) => clip(d.payload, 50) },
  ];
  const cells = rows.map((r) => cols.map((c) => c.get(r)));
  const widths = cols.map((c, i) => Math.max(c.head.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(cols.map((c) => c.head)), ...cells.map(line)].join('\n') + '\n';
}

const command: Command = {
  name: 'deadletter',
  summary: 'list or count a gateway\'s dead letters (frames it could not use, with their coded reason)',
  help: HELP,
  async run(argv) {
    const parsed = parseCommandArgs(command, argv, OPTIONS);
    const [action, ...extra] = parsed.positionals;
    const v = parsed.values;
    if (action !== 'list' && action !== 'count') throw usageError('ACTION', action === undefined ? 'missing: list or count' : `"${action}" is not an action (list or count)`);
    if (extra.length) throw usageError('argv', `unexpected argument(s) ${extra.map((a) => JSON.stringify(a)).join(' ')}`);
    if (!v.config) throw usageError('config', '--config FILE is required');
    if (action === 'count' && (v.limit !== undefined || v.source !== undefined)) throw usageError(v.limit !== undefined ? 'limit' : 'source', 'only list takes --limit and --source');
    let limit = 50;
    if (v.limit !== undefined) {
      limit = Number(v.limit);
      if (!/^\d+$/.test(v.limit) || limit < 1) throw usageError('limit', `"${v.limit}" is not a positive whole number`);
    }

    const config = await loadEdgeConfig(v.config);
    const path = edgeStorePath(config);
    const db = openEdgeDbReadonly(path);
    try {
      if (action === 'count') {
        const c = countDeadLetters(db);
        if (v.json) {
          process.stdout.write(`${JSON.stringify({ gateway: config.gateway.id, store: path, ...c })}\n`);
        } else {
          process.stdout.write(`gateway ${config.gateway.id} (${path}): ${c.total} dead letters, ${c.kept} kept\n`);
          for (const s of c.bySource) process.stdout.write(`  ${s.source.padEnd(24)} ${s.count}\n`);
        }
        return 0;
      }
      const rows = listDeadLetters(db, { limit, source: v.source });
      if (v.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else if (!rows.length) process.stdout.write(`no dead letters${v.source ? ` from ${v.source}` : ''} in ${path}\n`);
      else process.stdout.write(table(rows));
      return 0;
    } finally {
      db.close();
    }
  },
};

export default command;
