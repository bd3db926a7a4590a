import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import pino from 'pino';
import { SpError } from '../../protocols/errors.ts';
import { openOperatorDb } from '../operator-db.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { jobs } from '../../cloud/jobs/registry.ts';
import { JobRunner, type JobStatus } from '../../cloud/jobs/runner.ts';
import { cloudSettingsFromEnv } from '../../cloud/config.ts';
import type { JobRun } from '../../cloud/jobs/runs.ts';
import { help } from './jobs.help.ts';


// sorted: counts come back from jsonb in its own key order
const fmtCounts = (c: Record<string, number>) => Object.entries(c).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
const fmtRun = (r: JobRun) =>
  `#${r.id} ${r.status} ${r.trigger} period ${r.periodFrom} → ${r.periodTo} started ${r.startedAt} by ${r.instance}  ${fmtCounts(r.counts)}${r.error ? `  error: ${r.error}` : ''}`;

const command: Command = {
  name: 'jobs',
  summary: 'list the scheduled jobs or run one now',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      period: { type: 'string' }, runs: { type: 'string' }, json: { type: 'boolean' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
    });
    const [action, name] = positionals;
    if (action !== 'list' && action !== 'run') throw new SpError('SP_ERR_VALIDATION', { field: 'action', reason: 'say list or run (see stockpulse jobs --help)' });
    if (action === 'run' && !name) throw new SpError('SP_ERR_VALIDATION', { field: 'NAME', reason: `name the job to run: ${jobs.map((j) => j.name).join(', ')}` });
    const runs = values.runs === undefined ? 5 : Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1) throw new SpError('SP_ERR_VALIDATION', { field: '--runs', reason: 'a whole number ≥ 1' });
    const db = await openOperatorDb(values);
    try {
      await migrate(db);
      // the job's own log lines go to stderr; stdout carries the result
      const runner = new JobRunner({ db, jobs, settings: cloudSettingsFromEnv(process.env), log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2)), instanceId: `cli-${process.pid}` });
      if (action === 'list') {
        const list = await runner.status(undefined, runs);
        if (values.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else for (const j of list) process.stdout.write(describe(j));
        return 0;
      }
      runner.job(name!, 'NAME');
      const out = await runner.runNow(name!, { period: values.period, actor: 'cli' })
        .catch((e) => { if (e instanceof SpError) for (const d of e.details) if (d.field === 'period') d.field = '--period'; throw e; });
      if (!out.ran) {
        process.stderr.write(`error SP_ERR_CONFLICT\n  NAME: job "${name}" is running on another instance right now; try again when it has finished\n`);
        return 3;
      }
      if (values.json) process.stdout.write(`${JSON.stringify(out.run, null, 2)}\n`);
      else process.stdout.write(`${name}: ${fmtRun(out.run)}\n`);
      return out.run.status === 'succeeded' ? 0 : 1;
    } finally {
      await db.close();
    }
  },
};

function describe(j: JobStatus): string {
  const lines = [`${j.name}  schedule "${j.schedule}" (UTC)  next ${j.nextRun}`, `  ${j.description}`];
  if (!j.lastRuns.length) lines.push('  no runs yet');
  for (const r of j.lastRuns) lines.push(`  ${fmtRun(r)}`);
  return `${lines.join('\n')}\n`;
}
export default command;
