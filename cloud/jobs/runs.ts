import type { Db } from '../db/engine.ts';
import type { JobResult } from './job.ts';
import type { Period } from './schedule.ts';

// The job_runs table: one row per run, written when it starts and finished when it ends.

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';
export type RunTrigger = 'schedule' | 'manual';

export interface JobRun {
  id: number; job: string; periodFrom: string; periodTo: string; trigger: RunTrigger; status: RunStatus;
  startedAt: string; finishedAt: string | null; counts: JobResult; error: string | null; instance: string;
  actor: string | null; progress: { done: number; total?: number } | null;
}

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const fromRow = (r: Row): JobRun => ({
  id: Number(r.id), job: r.job as string, periodFrom: iso(r.period_from)!, periodTo: iso(r.period_to)!,
  trigger: r.trigger as RunTrigger, status: r.status as RunStatus, startedAt: iso(r.started_at)!, finishedAt: iso(r.finished_at),
  counts: json<JobResult>(r.counts) ?? {}, error: (r.error as string | null) ?? null, instance: r.instance as string,
  actor: (r.actor as string | null) ?? null, progress: json(r.progress) ?? null,
});

export async function insertRun(db: Db, r: { job: string; period: Period; trigger: RunTrigger; startedAt: Date; instance: string; actor?: string }): Promise<number> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO job_runs (job, period_from, period_to, trigger, status, started_at, instance, actor)
     VALUES ($1, $2, $3, $4, 'running', $5, $6, $7) RETURNING id`,
    [r.job, r.period.from, r.period.to, r.trigger, r.startedAt, r.instance, r.actor ?? null]);
  return Number(row!.id);
}

export async function finishRun(db: Db, id: number, r: { status: 'succeeded' | 'failed'; finishedAt: Date; counts: JobResult; error?: string; progress?: JobRun['progress'] }): Promise<JobRun> {
  // A run another instance marked abandoned (our lock's connection died mid-run, so it took the
  // lock and re-ran the period) keeps that mark: the history must not claim one clean run.
  const [row] = await db.query<Row>(
    `UPDATE job_runs SET status = CASE WHEN status = 'abandoned' THEN status ELSE $2 END, finished_at = $3, counts = $4::jsonb,
       error = CASE WHEN status = 'abandoned' THEN error || ' (it went on and finished: ' || $2 || ')' ELSE $5 END,
       progress = coalesce($6::jsonb, progress)
     WHERE id = $1 RETURNING *`,
    [id, r.status, r.finishedAt, JSON.stringify(r.counts), r.error ?? null, r.progress ? JSON.stringify(r.progress) : null]);
  return fromRow(row!);
}

export async function saveProgress(db: Db, id: number, progress: NonNullable<JobRun['progress']>): Promise<void> {
  await db.query(`UPDATE job_runs SET progress = $2::jsonb WHERE id = $1 AND status = 'running'`, [id, JSON.stringify(progress)]);
}

/**
 * Rows still 'running' when we hold the job's lock belong to an instance that died mid-run
 * (its lock went with its connection): mark them abandoned so the period may run again.
 */
export async function abandonStale(db: Db, job: string, at: Date): Promise<number> {
  const rows = await db.query(
    `UPDATE job_runs SET status = 'abandoned', finished_at = $2, error = 'the instance running it stopped before it finished'
     WHERE job = $1 AND status = 'running' RETURNING id`, [job, at]);
  return rows.length;
}

/**
 * A scheduled run of this period on record: finished (succeeded or failed), or — with
 * `orRunning` — still running. The scheduler's cheap pre-check asks only for finished ones, so a
 * run left 'running' by a dead instance is looked at under the lock, where it is abandoned.
 */
export async function scheduledRunExists(db: Db, job: string, period: Period, orRunning = true): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM job_runs WHERE job = $1 AND period_from = $2 AND trigger = 'schedule' AND status = ANY($3::text[])`,
    [job, period.from, orRunning ? ['succeeded', 'failed', 'running'] : ['succeeded', 'failed']]);
  return rows.length > 0;
}

/**
 * Forgets a job's finished runs that started before `before`. The every-minute jobs would
 * otherwise add ~1 500 rows a day forever; the scheduler only ever looks at the latest periods.
 */
export async function pruneRuns(db: Db, job: string, before: Date): Promise<number> {
  return (await db.query(`DELETE FROM job_runs WHERE job = $1 AND started_at < $2 AND status <> 'running' RETURNING id`, [job, before])).length;
}

export async function hasAnyRun(db: Db, job: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM job_runs WHERE job = $1 LIMIT 1', [job])).length > 0;
}

export async function lastRuns(db: Db, job: string, limit = 5): Promise<JobRun[]> {
  const rows = await db.query<Row>('SELECT * FROM job_runs WHERE job = $1 ORDER BY id DESC LIMIT $2', [job, limit]);
  return rows.map(fromRow);
}

export async function listRuns(db: Db, f: { job?: string; limit?: number } = {}): Promise<JobRun[]> {
  const rows = await db.query<Row>(
    'SELECT * FROM job_runs WHERE ($1::text IS NULL OR job = $1) ORDER BY id DESC LIMIT $2', [f.job ?? null, f.limit ?? 100]);
  return rows.map(fromRow);
}
