import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import { SpError } from '../../protocols/errors.ts';
import type { Queryable } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import { ADMISSION_COLUMNS, ADMISSION_CTES, OWNERS_SQL, admission, admitBatch, idsToScreen, knownOwners, screenBatch, type Admitted, type AdmissionRow, type KnownOwners, type Refusal } from './gateway-policy.ts';
import { batchDigest, sameContent } from './batch-digest.ts';
import { raiseRefusalAlerts, rejection } from './refusal-alerts.ts';

// The first writes of every batch on the per-batch path (store-batch.ts storeBatchIn,
// store-itemwise.ts): who may say what (gateway-policy.ts), then the batch key with the digest
// of its content (a replay touches nothing else; another content under a taken seq is refused),
// then the items the gateway does not own are screened out.
//
// A batch without a manifest — an alarm's batch, nearly always — has all three read in ONE
// statement (openInOne): admission, its key and the owners of its sensors and zones. They were
// three round trips one after the other on the alarm's path (issue #12: ~0.4 ms each on the
// ninth box, around ~0.1 ms of server work each). What that statement cannot decide alone — a
// stream another transaction bound after its snapshot, a key another transaction wrote after it —
// goes on statement by statement, as a batch with a manifest always does.

/** the first writes of every batch, on either path (storeBatch, store-itemwise.ts) */
export type OpenedBatch =
  | { status: 'fresh'; batch: UplinkBatch; refused: Refusal[]; deliveries: number; /** its gateways row written already (claimBatch: a batch without a manifest) */ gatewayRow: boolean }
  | { status: 'duplicate' }
  | { status: 'rejected'; error: SpError; deliveries: number };

type Claim = 'fresh' | 'duplicate' | 'conflict';

export async function openBatch(q: Queryable, sent: UplinkBatch, targets: readonly NotificationTarget[]): Promise<OpenedBatch> {
  const digest = batchDigest(sent);
  const one = sent.manifest ? undefined : await openInOne(q, sent, digest);
  const admitted = one ? one.admitted : await admitBatch(q, sent);
  if (!admitted.ok) return { status: 'rejected', error: admitted.error, deliveries: await raiseRefusalAlerts(q, sent.gateway, [rejection(sent, admitted.error)], targets) };
  const claim = one?.claim ?? await claimBatch(q, sent, digest);
  if (claim === 'duplicate') return { status: 'duplicate' };
  if (claim === 'conflict') {
    const error = new SpError('SP_ERR_UPLINK_SEQ_CONFLICT', { field: 'seq', reason: `stream ${sent.stream} seq ${sent.seq} of "${sent.gateway}" was already committed with other content; this batch is kept in dead letters, not stored` });
    return { status: 'rejected', error, deliveries: await raiseRefusalAlerts(q, sent.gateway, [rejection(sent, error)], targets) };
  }
  const screened = await screenBatch(q, sent, admitted.site, one?.known);
  const deliveries = await raiseRefusalAlerts(q, sent.gateway, screened.refused, targets);
  return { status: 'fresh', batch: screened.batch, refused: screened.refused, deliveries, gatewayRow: !sent.manifest && !writesGatewayRowLast(sent) };
}

/** the batch key (its parameters $k…$k+7, as claimParams) inserted; `fresh` holds it when it was new, and its gateways row is written then when $k+7 */
const claimCtes = (k: number, from: string) => {
  const p = (i: number) => `$${k + i}`;
  return `fresh AS (
       INSERT INTO uplink_batches (gateway, stream, seq, sent_at, readings, alerts, digest)
       SELECT ${p(0)}, ${p(1)}, ${p(2)}, to_timestamp(${p(3)} / 1000.0), ${p(4)}, ${p(5)}, ${p(6)}${from}
       ON CONFLICT DO NOTHING RETURNING gateway, stream, seq),
     gw AS (
       INSERT INTO gateways (id, site, stream, last_seq, last_seen)
       SELECT gateway, 'unknown', stream, seq, now() FROM fresh WHERE ${p(7)}
       ON CONFLICT (id) DO UPDATE SET
         stream = excluded.stream, last_seq = greatest(CASE WHEN gateways.stream = excluded.stream THEN gateways.last_seq END, excluded.last_seq),
         last_seen = now())`;
};

const claimParams = (b: UplinkBatch, digest: string) =>
  [b.gateway, b.stream, b.seq, b.sentAt, b.readings.length, b.alerts.length, digest, !b.manifest && !writesGatewayRowLast(b)];

/**
 * Inserts the batch key with its content digest: fresh, a replay of the same content, or a
 * conflict. A fresh batch without a manifest has its gateways row written in the same statement
 * (as upsertGateway with no manifest: one round trip less on the alarm path, issue #12); one with
 * a manifest is left to upsertGateway, after its manifest was screened, and a readings-only one
 * writes it last (writesGatewayRowLast).
 */
export async function claimBatch(q: Queryable, batch: UplinkBatch, digest = batchDigest(batch)): Promise<Claim> {
  const fresh = await q.query(`WITH ${claimCtes(1, '')} SELECT seq FROM fresh`, claimParams(batch, digest));
  return fresh.length > 0 ? 'fresh' : heldClaim(q, batch, digest);
}

/** the key was there: the content kept under it says replay or conflict (read in a statement of its own, which sees a key committed meanwhile) */
async function heldClaim(q: Queryable, batch: UplinkBatch, digest: string): Promise<Claim> {
  const [held] = await q.query<{ digest: string | null }>('SELECT digest FROM uplink_batches WHERE gateway = $1 AND stream = $2 AND seq = $3', [batch.gateway, batch.stream, batch.seq]);
  return sameContent(held?.digest, batch, digest) ? 'duplicate' : 'conflict';
}

interface OneRow extends AdmissionRow {
  fresh: boolean;
  /** the key was there already, visible to this statement, with this digest */
  held: boolean;
  held_digest: string | null;
  claims: { kind: string; id: string; gateway: string }[];
}

/**
 * Admission (as admitBatch), the batch key (as claimBatch, only once admitted) and the owners of
 * its sensors, zones and alert ids (as screenBatch looks them up) in one statement; undefined when the
 * statement cannot decide the admission (a stream bound by another transaction after its
 * snapshot: admitBatch reads it again). `claim` undefined: the key is held by a transaction that
 * committed after this statement's snapshot (the INSERT waited for it and did nothing): a
 * statement of its own reads it.
 */
async function openInOne(q: Queryable, sent: UplinkBatch, digest: string): Promise<{ admitted: Admitted; claim?: Claim; known?: KnownOwners } | undefined> {
  const { sensors, zones, alerts } = idsToScreen(sent);
  const [row] = await q.query<OneRow>(
    `WITH ${ADMISSION_CTES},
     admitted AS (SELECT 1 FROM reg, bound WHERE reg.revoked_at IS NULL AND bound.generation = reg.generation),
     ${claimCtes(3, ' FROM admitted')},
     held AS (SELECT digest FROM uplink_batches WHERE gateway = $1 AND stream = $2 AND seq = $5)
     SELECT ${ADMISSION_COLUMNS},
       EXISTS (SELECT 1 FROM fresh) AS fresh, EXISTS (SELECT 1 FROM held) AS held, (SELECT digest FROM held) AS held_digest,
       (SELECT coalesce(json_agg(json_build_object('kind', o.kind, 'id', o.id, 'gateway', o.gateway)), '[]'::json)
        FROM (${OWNERS_SQL('$11', '$12', '$13')}) o) AS claims
     FROM reg, bound`,
    [sent.gateway, sent.stream, ...claimParams(sent, digest), sensors, zones, alerts],
  );
  if (row && !row.revoked && row.stream_generation === null) return undefined;
  const admitted = admission(sent, row);
  if (!admitted.ok) return { admitted };
  const claim: Claim | undefined = row!.fresh ? 'fresh' : row!.held ? (sameContent(row!.held_digest, sent, digest) ? 'duplicate' : 'conflict') : undefined;
  return { admitted, claim: claim ?? await heldClaim(q, sent, digest), known: knownOwners(row!.claims) };
}

/**
 * A readings-only batch writes its gateway's row last, not with its batch key: the row lock is
 * then held only for the commit, and the next batch of the same stream, stored beside this one on
 * another connection (mqtt-ingest.ts, overlap), waits for it there rather than before its COPY.
 */
export function writesGatewayRowLast(b: UplinkBatch): boolean {
  return !b.manifest && !b.alerts.length && !b.devices.length && !b.movements.length;
}
