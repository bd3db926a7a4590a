import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import type { JobContext, JobDefinition, JobNotify, JobResult } from './job.ts';
import { withJobLock } from './lock.ts';
import { abandonStale, finishRun, hasAnyRun, insertRun, lastRuns, pruneRuns, saveProgress, scheduledRunExists, type JobRun, type RunTrigger } from './runs.ts';
import { assertCron, latestFire, nextFire, periodContaining, periodFromInput, type Period } from './schedule.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../config.ts';

// Schedules the registered jobs by cron (UTC) and runs each under its lock (lock.ts), so with
// N cloud instances on one database each scheduled period runs exactly once: the instance that
// gets the lock checks job_runs for the period *while holding it*, and the others either fail
// to get the lock or find the run already on record. Manual runs (API, CLI) always run — the
// job's effects are idempotent per period — and are recorded like scheduled ones.

/** job_runs older than this are forgotten (per job, when it next runs) */
const DEFAULT_KEEP_RUNS_DAYS = 30;

export interface JobRunnerOptions {
  /** days of job_runs history kept; default 30 */
  keepRunsDays?: number;
  db: Db;
  jobs: readonly JobDefinition[];
  log: Logger;
  /** the clock (tests inject one); default Date.now */
  clock?: () => Date;
  /** shown in job_runs.instance; default host-pid-random */
  instanceId?: string;
  /** how often the scheduler looks for due jobs at most (ms); default 30 s */
  pollMs?: number;
  notify?: JobNotify;
  /** rule settings the jobs use (cloud config); default: the config's defaults */
  settings?: CloudSettings;
  /** job runs at once in this process; default 2 (see `slots` below) */
  maxConcurrent?: number;
}

export type RunOutcome =
  | { ran: true; run: JobRun }
  /** another instance holds the job's lock, or (scheduled) the period is already on record */
  | { ran: false; reason: 'locked' | 'done'; period: Period };

export interface JobStatus {
  name: string; description: string; schedule: string; nextRun: string;
  running: boolean; lastRuns: JobRun[];
}

export class JobRunner {
  readonly instanceId: string;
  private readonly byName = new Map<string, JobDefinition>();
  private readonly clock: () => Date;
  private readonly startedAt: Date;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = true;
  // Each run holds one pooled connection for its whole length (its advisory lock lives on a
  // session, lock.ts) and needs at least one more from the same pool for its queries. Started all
  // at once, N due jobs on a pool of ≤ N connections took every connection for their locks and
  // then waited forever for one to query with (seen with 6 jobs on a pool of 4 when two
  // instances ticked together). So runs queue here; the rest of the pool stays for queries and
  // the API.
  private readonly slots: { free: number; waiting: (() => void)[] };

  constructor(private readonly o: JobRunnerOptions) {
    this.slots = { free: Math.max(1, o.maxConcurrent ?? 2), waiting: [] };
    this.clock = o.clock ?? (() => new Date());
    this.instanceId = o.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.startedAt = this.clock();
    for (const [i, j] of o.jobs.entries()) {
      if (this.byName.has(j.name)) throw new SpError('SP_ERR_CONFIG', { field: `jobs.${i}.name`, reason: `two jobs are named "${j.name}"` });
      assertCron(j.schedule, `jobs.${j.name}.schedule`);
      this.byName.set(j.name, j);
    }
  }

  get jobs(): JobDefinition[] { return [...this.byName.values()]; }

  job(name: string, field = 'name'): JobDefinition {
    const j = this.byName.get(name);
    if (!j) throw new SpError('SP_ERR_NOT_FOUND', { field, reason: `no job "${name}" (jobs: ${[...this.byName.keys()].join(', ') || 'none'})` });
    return j;
  }

  /** starts the scheduler: a timer that wakes at the next fire (capped at pollMs) */
  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  /** no new runs; waits for the ones in progress to finish */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.inFlight]);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = this.tick().then(() => undefined, (e) => this.o.log.warn({ err: e }, 'job scheduler pass failed')).finally(() => {
        this.ticking = undefined;
        this.arm(this.msToNextFire());
      });
    }, ms);
    this.timer.unref?.();
  }

  private msToNextFire(): number {
    const now = this.clock();
    const next = Math.min(...this.jobs.map((j) => nextFire(j.schedule, now).getTime()));
    // wake a little after the fire; never sleep longer than pollMs (a jumped clock, a missed tick)
    return Math.max(50, Math.min(next - now.getTime() + 50, this.o.pollMs ?? 30_000));
  }

  /**
   * One scheduler pass: every job whose latest fire has no scheduled run on record runs now.
   * A fire from before this runner started counts only for a job that has run before here —
   * the cloud was down at that fire, so it catches up once; a fresh database does not fire
   * every job at its first start. Returns what each due job did (tests call this directly).
   */
  async tick(): Promise<RunOutcome[]> {
    const now = this.clock();
    const due: Promise<RunOutcome>[] = [];
    for (const j of this.jobs) {
      const fire = latestFire(j.schedule, now);
      if (fire < this.startedAt && !(await hasAnyRun(this.o.db, j.name))) continue;
      if (await scheduledRunExists(this.o.db, j.name, { from: fire, to: fire }, false)) continue;
      due.push(this.track(this.execute(j, { from: fire, to: nextFire(j.schedule, fire) }, 'schedule')));
    }
    return Promise.all(due);
  }

  /** runs a job now (API, CLI); period: a date or timestamp, default the period containing now */
  async runNow(name: string, opts: { period?: string; actor?: string } = {}): Promise<RunOutcome> {
    const j = this.job(name);
    const period = opts.period ? periodFromInput(j.schedule, opts.period, 'period') : periodContaining(j.schedule, this.clock());
    return this.track(this.execute(j, period, 'manual', opts.actor));
  }

  async status(name?: string, runs = 5): Promise<JobStatus[]> {
    const list = name ? [this.job(name)] : this.jobs;
    const now = this.clock();
    return Promise.all(list.map(async (j) => {
      const last = await lastRuns(this.o.db, j.name, runs);
      return {
        name: j.name, description: j.description, schedule: j.schedule, nextRun: nextFire(j.schedule, now).toISOString(),
        running: last.some((r) => r.status === 'running'), lastRuns: last,
      };
    }));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => {});
    return p;
  }

  private async execute(j: JobDefinition, period: Period, trigger: RunTrigger, actor?: string): Promise<RunOutcome> {
    if (this.slots.free > 0) this.slots.free--;
    else await new Promise<void>((r) => this.slots.waiting.push(r));
    try {
      return await this.executeInSlot(j, period, trigger, actor);
    } finally {
      const next = this.slots.waiting.shift();
      if (next) next();
      else this.slots.free++;
    }
  }

  private async executeInSlot(j: JobDefinition, period: Period, trigger: RunTrigger, actor?: string): Promise<RunOutcome> {
    const { db, log } = this.o;
    const outcome = await withJobLock(db, j.name, async (): Promise<RunOutcome> => {
      await abandonStale(db, j.name, this.clock());
      // checked under the lock: the instance that ran this period before us has recorded it
      if (trigger === 'schedule' && await scheduledRunExists(db, j.name, period)) return { ran: false, reason: 'done', period };
      const startedAt = this.clock();
      const id = await insertRun(db, { job: j.name, period, trigger, startedAt, instance: this.instanceId, actor });
      await pruneRuns(db, j.name, new Date(startedAt.getTime() - (this.o.keepRunsDays ?? DEFAULT_KEEP_RUNS_DAYS) * 86_400_000));
      const jlog = log.child({ job: j.name, run: id });
      let progress: { done: number; total?: number } | undefined;
      let lastSaved = 0;
      const ctx: JobContext = {
        db, now: startedAt, period, log: jlog, notify: this.o.notify, settings: this.o.settings ?? DEFAULT_SETTINGS,
        progress: (done, total) => {
          progress = total === undefined ? { done } : { done, total };
          // at most one write a second: progress is for people watching, not an audit trail
          if (Date.now() - lastSaved < 1000) return;
          lastSaved = Date.now();
          void saveProgress(db, id, progress).catch(() => {});
        },
      };
      let counts: JobResult = {};
      let error: unknown;
      try {
        counts = await j.run(ctx);
      } catch (e) {
        error = e;
      }
      const run = await finishRun(db, id, {
        status: error ? 'failed' : 'succeeded', finishedAt: this.clock(), counts, progress,
        error: error ? (error instanceof SpError ? error.message : (error as Error)?.message ?? String(error)) : undefined,
      });
      if (error) jlog.error({ err: error, period }, 'job failed');
      else jlog.info({ counts, period, trigger }, 'job finished');
      return { ran: true, run };
    });
    return outcome.ran ? outcome.value : { ran: false, reason: 'locked', period };
  }
}
