import { describe, expect, it } from 'vitest';
import { SpError } from '../../protocols/errors.ts';
import { classifyStoreFault } from '../../cloud/ingest/store-fault.ts';
import { StreamProgress } from '../../cloud/ingest/stream-progress.ts';

// Pure parts of the cloud's answer to a failing batch (issue #11): which faults are retried and
// which make the batch be stored item by item, and what /api/health reports of the streams.

const err = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('store fault classes', () => {
  it('the database unreachable is retried by the edge, for as long as it takes', () => {
    for (const e of [err('08006'), err('08001'), err('57P01'), err('53300'), err('58030'), err('ECONNRESET'), new Error('Connection terminated unexpectedly'), new SpError('SP_ERR_DB', { field: 'db', reason: 'down' })]) {
      expect(classifyStoreFault(e), String((e as Error).message)).toBe('connection');
    }
  });
  it('a passing conflict is retried a few times', () => {
    for (const c of ['40001', '40P01', '55P03', '57014', '23505']) expect(classifyStoreFault(err(c))).toBe('retryable');
  });
  it('what will fail again is permanent: data exceptions, integrity, a protocol violation, a bug', () => {
    for (const e of [err('22021'), err('22P05'), err('22P02'), err('23514'), err('23502'), err('08P01'), err('54000'), new TypeError('undefined is not a function')]) {
      expect(classifyStoreFault(e)).toBe('permanent');
    }
  });
});

describe('stream progress', () => {
  it('counts attempts per batch, reports the oldest unacked and a stalled gateway, forgets on ack', () => {
    let now = 0;
    const p = new StreamProgress(10_000, () => now);
    expect(p.arrived('gw1', 's', 1)).toBe(1);
    now = 4_000;
    expect(p.arrived('gw1', 's', 1)).toBe(2);
    p.arrived('gw2', 't', 7);
    p.acked('gw2', 't', 7);
    expect(p.health()).toMatchObject({ oldestUnackedSec: 4, stalled: [] });
    now = 10_000;
    const h = p.health();
    expect(h.stalled).toEqual(['gw1']);
    expect(h.gateways.find((g) => g.gateway === 'gw1')).toMatchObject({ pending: 1, attempts: 2, stalled: true, stalledSince: 0 });
    expect(h.gateways.find((g) => g.gateway === 'gw2')).toMatchObject({ pending: 0, sinceAdvanceSec: 6, stalled: false });
    p.acked('gw1', 's', 1);
    expect(p.health()).toMatchObject({ oldestUnackedSec: 0, stalled: [] });
  });
});
