import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../../cloud/ingest/group-commit.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { UplinkBatch, type AlertEvent } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// A group holding one batch for the per-batch path and nothing else (an alarm arriving alone)
// runs it without a savepoint (group-commit.ts, issue #12). Its failure must end as a failing
// batch under a savepoint does: the single-batch path decides (here: refused by the database
// there too), nothing of it is stored, and the next batch of the stream commits.

const T = Date.parse('2026-03-01T08:00:00Z');
const GW = 'lone-gw';
let tdb: TestDatabase;

const alert = (id: string, message: string): AlertEvent => ({
  id, transition: 'raised', zone: 'chiller', rule: 'high', severity: 'warning', ts: T, since: T, value: 9, threshold: 8, message,
});
const batch = (seq: number, a: AlertEvent) => UplinkBatch.parse({ v: 1, gateway: GW, stream: 's1', seq, sentAt: T + seq, readings: [], alerts: [a] });

beforeAll(async () => {
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'bakery-main' });
});
afterAll(async () => { await tdb?.cleanup(); });

describe(`group commit, a lone batch (${engineLabel})`, () => {
  it('a lone batch the database refuses goes the single-batch path and stores nothing; the next one commits', async () => {
    const metrics = createCloudMetrics();
    const committer = new GroupCommitter({ db: tdb.db, targets: [], metrics, concurrency: 1 });
    // a NUL in the text: PostgreSQL refuses it (22021), as it would any value it cannot hold
    const refused = await committer.store(batch(1, alert('lone:nul', 'bad \u0000 text'))).then(() => 'committed', (e: { code?: string }) => e.code ?? 'error');
    expect(refused).not.toBe('committed');
    expect((await metrics.groupIsolated.get()).values[0]!.value).toBe(1);
    expect(await tdb.db.query('SELECT 1 FROM uplink_batches WHERE gateway = $1', [GW])).toHaveLength(0);
    expect(await tdb.db.query("SELECT 1 FROM alerts WHERE id = 'lone:nul'")).toHaveLength(0);

    const ok = await committer.store(batch(1, alert('lone:ok', 'above 8 °C')));
    expect(ok).toMatchObject({ status: 'committed' });
    expect(await tdb.db.query("SELECT 1 FROM alerts WHERE id = 'lone:ok' AND incident_id IS NOT NULL")).toHaveLength(1);
    expect((await metrics.groupIsolated.get()).values[0]!.value).toBe(1);
  });
});
