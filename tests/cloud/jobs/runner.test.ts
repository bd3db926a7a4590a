import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { JobContext, JobDefinition } from '../../../cloud/jobs/job.ts';
import { JobRunner } from '../../../cloud/jobs/runner.ts';
import { abandonStale, finishRun, insertRun, listRuns } from '../../../cloud/jobs/runs.ts';
import { jobs as registered } from '../../../cloud/jobs/registry.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { testClock } from '../../helpers/jobs-clock.ts';
import { waitFor } from '../../helpers/net.ts';

// The runner on its own, with an injected clock: when a job is due, what a run records,
// that a scheduled period runs once, that a job never runs twice at the same time.

let tdb: TestDatabase;
const log = pino({ level: 'silent' });
beforeAll(async () => { tdb = await testDatabase(); });
afterAll(async () => { await tdb?.cleanup(); });

/** a job that remembers each call's context and answers with counts (or throws) */
function probe(name: string, schedule: string, behave: (ctx: JobContext) => Promise<Record<string, number>> = async () => ({ things: 1 })) {
  const calls: JobContext[] = [];
  const job: JobDefinition = { name, description: `probe ${name}`, schedule, run: async (ctx) => { calls.push(ctx); return behave(ctx); } };
  return { job, calls };
}

describe(`job runner (${engineLabel})`, () => {
  it('registry: names are unique and every schedule is valid cron', () => {
    // the constructor checks both; building one over the registry must not throw
    expect(() => new JobRunner({ db: tdb.db, jobs: registered, log })).not.toThrow();
    expect(registered.map((j) => j.name)).toContain('expiry-sweep');
    expect(() => new JobRunner({ db: tdb.db, jobs: [probe('a', 'not cron').job], log })).toThrow(/SP_ERR_CONFIG.*not a valid cron/);
    expect(() => new JobRunner({ db: tdb.db, jobs: [probe('a', '* * * * *').job, probe('a', '* * * * *').job], log })).toThrow(/two jobs are named "a"/);
  });

  it('runs at most maxConcurrent jobs at once: the others queue, all run (a run holds a pooled connection for its lock)', async () => {
    const clock = testClock('2026-05-10T00:14:00Z');
    let running = 0;
    let peak = 0;
    const probes = Array.from({ length: 6 }, (_, i) => probe(`busy-${i}`, '15 0 * * *', async (ctx) => {
      running++;
      peak = Math.max(peak, running);
      await ctx.db.query('SELECT 1');
      await new Promise((r) => setImmediate(r));
      running--;
      return { things: 1 };
    }));
    const runner = new JobRunner({ db: tdb.db, jobs: probes.map((p) => p.job), log, clock, instanceId: 'inst-c', maxConcurrent: 2 });
    clock.set('2026-05-10T00:15:10Z');
    const out = await runner.tick();
    expect(out.filter((o) => o.ran)).toHaveLength(6);
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('runs a job at its fire time once per period, with the period and clock it covers', async () => {
    const clock = testClock('2026-03-10T00:14:00Z');
    const p = probe('daily-probe', '15 0 * * *');
    const runner = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock, instanceId: 'inst-a' });
    expect(await runner.tick()).toEqual([]);               // before the fire: nothing
    expect(p.calls).toHaveLength(0);

    clock.set('2026-03-10T00:15:20Z');
    const [out] = await runner.tick();
    expect(out).toMatchObject({ ran: true, run: { job: 'daily-probe', status: 'succeeded', trigger: 'schedule', instance: 'inst-a', counts: { things: 1 } } });
    expect(p.calls[0]!.now.toISOString()).toBe('2026-03-10T00:15:20.000Z');
    expect(p.calls[0]!.period).toEqual({ from: new Date('2026-03-10T00:15:00Z'), to: new Date('2026-03-11T00:15:00Z') });

    clock.set('2026-03-10T09:00:00Z');                     // later the same day: done already
    expect(await runner.tick()).toEqual([]);
    clock.set('2026-03-11T00:15:00Z');                     // next day's fire
    expect(await runner.tick()).toHaveLength(1);
    expect(p.calls.map((c) => c.period.from.toISOString())).toEqual(['2026-03-10T00:15:00.000Z', '2026-03-11T00:15:00.000Z']);

    const runs = await listRuns(tdb.db, { job: 'daily-probe' });
    expect(runs.map((r) => [r.status, r.periodFrom, r.startedAt, r.finishedAt])).toEqual([
      ['succeeded', '2026-03-11T00:15:00.000Z', '2026-03-11T00:15:00.000Z', '2026-03-11T00:15:00.000Z'],
      ['succeeded', '2026-03-10T00:15:00.000Z', '2026-03-10T00:15:20.000Z', '2026-03-10T00:15:20.000Z'],
    ]);
  });

  it('keeps keepRunsDays of run history per job: older runs are forgotten when the job next runs', async () => {
    const clock = testClock('2026-05-01T00:00:30Z');
    const p = probe('minutely-probe', '* * * * *');
    const runner = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock, keepRunsDays: 2 });
    for (const day of ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04']) {
      clock.set(`${day}T00:00:30Z`);
      await runner.runNow('minutely-probe');
    }
    const runs = await listRuns(tdb.db, { job: 'minutely-probe' });
    expect(runs.map((r) => r.startedAt.slice(0, 10))).toEqual(['2026-05-04', '2026-05-03', '2026-05-02']);
  });

  it('a fresh database does not fire missed periods at start; a job that ran before catches up once', async () => {
    const p = probe('catch-up', '0 6 * * *');
    const first = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock: testClock('2026-04-01T12:00:00Z') });
    expect(await first.tick()).toEqual([]);                 // 06:00 was before this runner existed
    await first.runNow('catch-up');                          // it has run here now (by hand)
    // the cloud was down over the next day's 06:00: the next start runs that period once
    const later = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock: testClock('2026-04-02T09:00:00Z') });
    const [out] = await later.tick();
    expect(out).toMatchObject({ ran: true, run: { trigger: 'schedule', periodFrom: '2026-04-02T06:00:00.000Z' } });
    expect(await later.tick()).toEqual([]);
  });

  it('manual runs: default period contains now, --period as a date or timestamp, every run recorded', async () => {
    const clock = testClock('2026-05-20T14:00:00Z');
    const p = probe('manual', '15 0 * * *');
    const runner = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock });
    const a = await runner.runNow('manual', { actor: 'tester' });
    const b = await runner.runNow('manual', { period: '2026-05-18' });
    const c = await runner.runNow('manual', { period: '2026-05-18T00:10:00Z' });
    expect([a, b, c].map((o) => o.ran && [o.run.trigger, o.run.periodFrom, o.run.periodTo])).toEqual([
      ['manual', '2026-05-20T00:15:00.000Z', '2026-05-21T00:15:00.000Z'],
      ['manual', '2026-05-18T00:15:00.000Z', '2026-05-19T00:15:00.000Z'],
      ['manual', '2026-05-17T00:15:00.000Z', '2026-05-18T00:15:00.000Z'],
    ]);
    expect(a.ran && a.run.actor).toBe('tester');
    await expect(runner.runNow('manual', { period: 'yesterday' })).rejects.toThrow(/SP_ERR_VALIDATION: period: "yesterday" is neither a date/);
    await expect(runner.runNow('nope')).rejects.toMatchObject({ code: 'SP_ERR_NOT_FOUND', details: [{ field: 'name', reason: 'no job "nope" (jobs: manual)' }] });
    // a manual run of today's period does not stop the scheduled run of it (that one is the record of the schedule)
    expect((await listRuns(tdb.db, { job: 'manual' })).length).toBe(3);
  });

  it('a failing job is recorded failed with its error; the scheduler does not retry it in a loop', async () => {
    const clock = testClock('2026-06-01T00:15:00Z');
    const p = probe('broken', '15 0 * * *', async () => { throw new Error('supplier feed unreachable'); });
    const runner = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock });
    await runner.runNow('broken', { period: '2026-05-31' });
    clock.set('2026-06-01T00:15:01Z');
    const [out] = await runner.tick();
    expect(out).toMatchObject({ ran: true, run: { status: 'failed', error: 'supplier feed unreachable', counts: {} } });
    expect(await runner.tick()).toEqual([]);
    expect(p.calls).toHaveLength(2);
  });

  it('progress is visible while a job runs; the same job never runs twice at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const p = probe('slow', '0 * * * *', async (ctx) => { ctx.progress(3, 10); started(); await gate; ctx.progress(10, 10); return { done: 10 }; });
    const a = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock: testClock('2026-07-01T10:30:00Z'), instanceId: 'inst-a' });
    const b = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock: testClock('2026-07-01T10:30:00Z'), instanceId: 'inst-b' });
    const first = a.runNow('slow');
    await running;
    // progress is written in the background (at most once a second): it shows up while the run is on
    const status = await waitFor(async () => { const [s] = await b.status('slow'); return s?.lastRuns[0]?.progress && s; }, 'progress of the run');
    expect(status).toMatchObject({ running: true, lastRuns: [{ status: 'running', instance: 'inst-a', progress: { done: 3, total: 10 } }] });
    expect(await b.runNow('slow')).toMatchObject({ ran: false, reason: 'locked' });
    expect(await a.runNow('slow')).toMatchObject({ ran: false, reason: 'locked' });
    release();
    expect(await first).toMatchObject({ ran: true, run: { status: 'succeeded', counts: { done: 10 }, progress: { done: 10, total: 10 } } });
    expect(p.calls).toHaveLength(1);
    expect(await b.runNow('slow')).toMatchObject({ ran: true });   // free again
  });

  it('a run left "running" by an instance that died is marked abandoned, and its period may run again', async () => {
    await tdb.db.query(`INSERT INTO job_runs (job, period_from, period_to, trigger, status, started_at, instance)
                        VALUES ('orphan', '2026-08-01T00:15:00Z', '2026-08-02T00:15:00Z', 'schedule', 'running', '2026-08-01T00:15:00Z', 'dead-one')`);
    const p = probe('orphan', '15 0 * * *');
    const runner = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock: testClock('2026-08-01T00:20:00Z') });
    const [out] = await runner.tick();
    expect(out).toMatchObject({ ran: true, run: { status: 'succeeded', trigger: 'schedule', periodFrom: '2026-08-01T00:15:00.000Z' } });
    const runs = await listRuns(tdb.db, { job: 'orphan' });
    expect(runs.map((r) => [r.instance, r.status])).toEqual([[runner.instanceId, 'succeeded'], ['dead-one', 'abandoned']]);
  });

  it('a run that lost its lock and was abandoned by another instance keeps that mark when it finishes after all', async () => {
    const period = { from: new Date('2026-08-05T00:15:00Z'), to: new Date('2026-08-06T00:15:00Z') };
    const id = await insertRun(tdb.db, { job: 'lost-lock', period, trigger: 'schedule', startedAt: period.from, instance: 'inst-a' });
    await abandonStale(tdb.db, 'lost-lock', new Date('2026-08-05T00:20:00Z'));   // instance B took the lock
    const run = await finishRun(tdb.db, id, { status: 'succeeded', finishedAt: new Date('2026-08-05T00:25:00Z'), counts: { things: 1 } });
    expect(run.status).toBe('abandoned');
    expect(run.error).toMatch(/stopped before it finished \(it went on and finished: succeeded\)/);
  });

  it('the start/stop timer schedules on its own and stop waits for the run in progress', async () => {
    const clock = testClock('2026-09-01T07:59:59Z');
    let finish!: () => void;
    const p = probe('timer', '0 8 * * *', () => new Promise((r) => { finish = () => r({ ok: 1 }); }));
    const runner = new JobRunner({ db: tdb.db, jobs: [p.job], log, clock, pollMs: 20 });
    runner.start();
    clock.set('2026-09-01T08:00:01Z');
    await waitFor(() => p.calls.length === 1, 'the scheduled run');
    let stopped = false;
    const stopping = runner.stop().then(() => { stopped = true; });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);                            // still waiting for the run
    finish();
    await stopping;
    expect((await listRuns(tdb.db, { job: 'timer' }))[0]).toMatchObject({ status: 'succeeded', counts: { ok: 1 } });
  });
});
