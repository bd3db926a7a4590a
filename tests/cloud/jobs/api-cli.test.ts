import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { jobs as registered } from '../../../cloud/jobs/registry.ts';
import { JobRunner } from '../../../cloud/jobs/runner.ts';
import { engineLabel, testDatabase, usingPostgres, type TestDatabase } from '../../helpers/db.ts';
import { runCli } from '../../helpers/cli.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// GET /api/jobs, POST /api/jobs/:name/run (permissions, coded errors, 409 while another
// instance runs the job) and `stockpulse jobs list|run` as a person types them.

let tdb: TestDatabase;
let f: ApiFixture;
let dir: string;
beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  dir = await mkdtemp(join(tmpdir(), 'sp-jobs-cli-'));
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe(`jobs API (${engineLabel})`, () => {
  it('GET /api/jobs lists every registered job with schedule, next run and last runs', async () => {
    const r = await f.as('viewer', 'GET', '/api/jobs');
    expect(r.status).toBe(200);
    expect(r.json.jobs.map((j: any) => j.name)).toEqual(registered.map((j) => j.name));
    const expiry = r.json.jobs.find((j: any) => j.name === 'expiry-sweep');
    expect(expiry).toMatchObject({ schedule: '15 0 * * *', running: false, lastRuns: [] });
    expect(expiry.nextRun).toMatch(/^\d{4}-\d\d-\d\dT00:15:00\.000Z$/);
    expect(Date.parse(expiry.nextRun)).toBeGreaterThan(Date.now());
    expect((await f.as(null, 'GET', '/api/jobs')).status).toBe(401);
  });

  it('POST /api/jobs/:name/run runs the job for the period, records it, and GET shows it', async () => {
    const r = await f.as('admin', 'POST', '/api/jobs/expiry-sweep/run', { period: '2099-03-10' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      job: 'expiry-sweep', status: 'succeeded', trigger: 'manual', actor: 'test-admin',
      periodFrom: '2099-03-10T00:15:00.000Z', periodTo: '2099-03-11T00:15:00.000Z',
      counts: { lots_near_expiry: 0, lots_expired: 0, alerts_raised: 0, digests: 0 },
    });
    const noBody = await f.as('admin', 'POST', '/api/jobs/expiry-sweep/run');
    expect(noBody.status).toBe(200);
    const list = await f.as('warehouse', 'GET', '/api/jobs?runs=10');
    const runs = list.json.jobs.find((j: any) => j.name === 'expiry-sweep').lastRuns;
    expect(runs.map((x: any) => x.id)).toEqual([noBody.json.id, r.json.id]);
    // and the write is in the audit log
    const audit = await f.as('admin', 'GET', '/api/audit?entity=job_run');
    expect(audit.json.map((a: any) => a.entityId)).toContain(String(r.json.id));
  });

  it('coded errors: unknown job 404, bad period 400 naming the field, other roles 403', async () => {
    const unknown = await f.as('admin', 'POST', '/api/jobs/no-such-job/run', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'SP_ERR_NOT_FOUND', details: [{ field: 'params.name' }] });
    expect(unknown.json.details[0].reason).toMatch(/^no job "no-such-job" \(jobs: expiry-sweep/);
    const bad = await f.as('admin', 'POST', '/api/jobs/expiry-sweep/run', { period: 'last tuesday' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'SP_ERR_VALIDATION', details: [{ field: 'body.period' }] });
    for (const role of ['warehouse', 'qa', 'viewer', 'sales'] as const) {
      expect((await f.as(role, 'POST', '/api/jobs/expiry-sweep/run', {})).status, role).toBe(403);
    }
  });

  it('409 while another instance holds the job', async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const gate = new Promise<void>((r) => { release = r; });
    const other = new JobRunner({
      db: tdb.db, log: pino({ level: 'silent' }), instanceId: 'other',
      jobs: [{ name: 'expiry-sweep', description: 'held', schedule: '15 0 * * *', run: async () => { started(); await gate; return {}; } }],
    });
    const held = other.runNow('expiry-sweep');
    await running;
    const r = await f.as('admin', 'POST', '/api/jobs/expiry-sweep/run', {});
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ code: 'SP_ERR_CONFLICT', details: [{ field: 'params.name', reason: expect.stringMatching(/running on another instance/) }] });
    const list = await f.as('viewer', 'GET', '/api/jobs');
    const expiry = list.json.jobs.find((j: any) => j.name === 'expiry-sweep');
    expect(expiry.running).toBe(true);
    expect(expiry.lastRuns[0]).toMatchObject({ status: 'running', instance: 'other', progress: null });
    release();
    await held;
  });
});

describe(`stockpulse jobs (${engineLabel})`, () => {
  // the CLI opens the database itself: the test's PostgreSQL database, or a PGlite directory of its own
  const where = () => (usingPostgres ? ['--database-url', tdb.url!] : ['--data-dir', dir]);

  it('--help explains list and run', async () => {
    const r = await runCli(['jobs', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: stockpulse jobs list [--runs N] [--json]');
    expect(r.stdout).toContain('stockpulse jobs run NAME [--period DATE|TIMESTAMP] [--json]');
    expect(r.stdout).toContain('expiry-sweep (15 0 * * *)');
  });

  it('run NAME --period runs and records the job; list shows it', async () => {
    const run = await runCli(['jobs', 'run', 'expiry-sweep', '--period', '2099-03-10', ...where()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^expiry-sweep: #\d+ succeeded manual period 2099-03-10T00:15:00.000Z → 2099-03-11T00:15:00.000Z started .* by cli-\d+  alerts_raised=0 digests=0 lots_expired=0 lots_near_expiry=0\n$/);
    const list = await runCli(['jobs', 'list', '--json', ...where()]);
    expect(list.code).toBe(0);
    const jobs = JSON.parse(list.stdout);
    expect(jobs.map((j: any) => j.name)).toEqual(registered.map((j) => j.name));
    expect(jobs.find((j: any) => j.name === 'expiry-sweep').lastRuns[0]).toMatchObject({ status: 'succeeded', actor: 'cli', periodFrom: '2099-03-10T00:15:00.000Z' });
    const text = await runCli(['jobs', 'list', ...where()]);
    expect(text.stdout).toMatch(/^expiry-sweep {2}schedule "15 0 \* \* \*" \(UTC\) {2}next \S+\n {2}Marks lots near expiry/m);
  });

  it('mistakes are coded errors naming what to fix', async () => {
    const unknown = await runCli(['jobs', 'run', 'nope', ...where()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error SP_ERR_NOT_FOUND\n {2}NAME: no job "nope" \(jobs: expiry-sweep/);
    const badPeriod = await runCli(['jobs', 'run', 'expiry-sweep', '--period', 'someday', ...where()]);
    expect(badPeriod.code).toBe(1);
    expect(badPeriod.stderr).toContain('error SP_ERR_VALIDATION\n  --period: "someday" is neither a date');
    const noAction = await runCli(['jobs']);
    expect(noAction.code).toBe(1);
    expect(noAction.stderr).toContain('action: say list or run');
    const noName = await runCli(['jobs', 'run']);
    expect(noName.stderr).toContain('NAME: name the job to run: expiry-sweep');
  });
});
