import type { GatewayManifest, UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { ItemKind } from '../../protocols/uplink/salvage.ts';
import type { Reading } from '../../protocols/reading.ts';
import { cleanText } from '../../protocols/text.ts';
import type { Db, Queryable } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import { recordRefusals, storeManifest, storeReadings, upsertGateway } from './store-batch.ts';
import { openBatch } from './open-batch.ts';
import { storeAlert } from '../notify/alerts.ts';
import type { SpError } from '../../protocols/errors.ts';
import type { Refusal } from './gateway-policy.ts';
import { storeDeviceEvents, storeManifestDevices } from './store-devices.ts';
import { classifyStoreFault, faultCode } from './store-fault.ts';
import { storeMovements, type IngestSettings } from './store-movements.ts';

// The fallback when a batch failed for a reason that will not change on resend (store-fault.ts):
// the same writes as storeBatch, in one transaction, but each item under its own SAVEPOINT —
// the manifest, each alert, each device event, each movement, and the readings in one chunk
// bisected down to the offending reading(s) (O(k log n) statements for k bad readings of n). What the database refuses is rolled back alone and
// returned as a failure, to be dead-lettered with its reason; everything else commits, and the
// batch key with it, so the stream goes on. Order is storeBatch's (alerts before device events).
// A connection-level fault on any item aborts the whole transaction (nothing can be stored; the
// edge resends); `retryable` ones count as the item's fault here, since this path is only
// taken once a batch has failed as a whole too often or for a permanent reason.

export interface ItemFailure {
  kind: ItemKind;
  /** index in its list of the batch (0 for the manifest) */
  index: number;
  /** why, in short: `SQLSTATE 22021` from the database, `contract` from salvage.ts */
  cause: string;
  reason: string;
  item: unknown;
}

export type ItemwiseResult =
  | { status: 'committed'; deliveries: number; readingsStored: number; items: number; failures: ItemFailure[]; /** what was offered for storing: the batch less the items its gateway may not send */ stored: UplinkBatch; refused?: Refusal[] }
  | { status: 'duplicate' }
  | { status: 'rejected'; error: SpError; deliveries: number };

/** runs fn under a savepoint; a non-connection fault rolls back only fn's writes and is returned */
async function attempt(q: Queryable, fn: () => Promise<void>): Promise<{ ok: true } | { ok: false; error: unknown }> {
  await q.query('SAVEPOINT uplink_item');
  try {
    await fn();
    await q.query('RELEASE SAVEPOINT uplink_item');
    return { ok: true };
  } catch (e) {
    if (classifyStoreFault(e) === 'connection') throw e;
    await q.query('ROLLBACK TO SAVEPOINT uplink_item');
    return { ok: false, error: e };
  }
}

const failure = (kind: ItemKind, index: number, item: unknown, e: unknown): ItemFailure => ({
  kind, index, item, cause: `SQLSTATE ${faultCode(e) ?? 'unknown'}`, reason: cleanText((e as Error)?.message ?? String(e), 1000),
});

export async function storeBatchItemwise(db: Db, sent: UplinkBatch, targets: readonly NotificationTarget[], settings?: IngestSettings): Promise<ItemwiseResult> {
  const result = await db.tx(async (q): Promise<ItemwiseResult> => {
    // the same gate as storeBatch: registry, digest, ownership (store-batch.ts openBatch)
    const opened = await openBatch(q, sent, targets);
    if (opened.status !== 'fresh') return opened;
    const batch = opened.batch;
    const failures: ItemFailure[] = [];
    let deliveries = opened.deliveries;
    let manifest: GatewayManifest | undefined = batch.manifest;
    if (manifest) {
      const m = manifest;
      const r = await attempt(q, async () => {
        await upsertGateway(q, batch, m);
        await storeManifest(q, batch.gateway, m);
        await storeManifestDevices(q, batch.gateway, m);
      });
      if (!r.ok) { failures.push(failure('manifest', 0, m, r.error)); manifest = undefined; }
    }
    if (!manifest && !opened.gatewayRow) await upsertGateway(q, batch, undefined);

    let readingsStored = 0;
    const storeChunk = async (chunk: Reading[], offset: number): Promise<void> => {
      let n = 0;
      const r = await attempt(q, async () => {
        const part = { ...batch, readings: chunk };
        // the parametrised insert, never COPY: COPY's simple-protocol literals turn a NUL into a
        // dropped connection (08P01) where this gets a clean per-statement 22021
        n = await storeReadings(q, part);
      });
      if (r.ok) { readingsStored += n; return; }
      if (chunk.length === 1) { failures.push(failure('readings', offset, chunk[0], r.error)); return; }
      const half = Math.ceil(chunk.length / 2);
      await storeChunk(chunk.slice(0, half), offset);
      await storeChunk(chunk.slice(half), offset + half);
    };
    if (batch.readings.length) await storeChunk(batch.readings, 0);

    const raise = (a: UplinkBatch['alerts'][number]) => storeAlert(q, batch.gateway, a, targets);
    for (const [i, a] of batch.alerts.entries()) {
      let d = 0;
      // the alert and the stock exception it may open (store-movements.ts) stand or fall together
      const r = await attempt(q, async () => { d = await raise(a) + await storeMovements(q, { ...batch, alerts: [a], movements: [] }, raise, settings); });
      if (r.ok) deliveries += d; else failures.push(failure('alerts', i, a, r.error));
    }
    for (const [i, e] of batch.devices.entries()) {
      const r = await attempt(q, () => storeDeviceEvents(q, batch.gateway, [e]));
      if (!r.ok) failures.push(failure('devices', i, e, r.error));
    }
    for (const [i, m] of batch.movements.entries()) {
      let d = 0;
      const r = await attempt(q, async () => { d = await storeMovements(q, { ...batch, alerts: [], movements: [m] }, raise, settings); });
      if (r.ok) deliveries += d; else failures.push(failure('movements', i, m, r.error));
    }
    const items = (batch.manifest ? 1 : 0) + batch.readings.length + batch.alerts.length + batch.devices.length + batch.movements.length;
    return { status: 'committed' as const, deliveries, readingsStored, items, failures, stored: batch, refused: opened.refused };
  });
  if (result.status === 'committed' && result.refused?.length) await recordRefusals(db, sent, result.refused);
  return result;
}
