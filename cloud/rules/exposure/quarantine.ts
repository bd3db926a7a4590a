import type { Queryable } from '../../db/engine.ts';
import { changeLotStatusIn } from '../../inventory/lots.ts';
import type { Actor } from '../../inventory/model.ts';
import type { Finding } from './evaluate.ts';
import { lockLot } from './lock.ts';

// Findings → evidence rows → quarantine, for one lot in one transaction. The evidence key
// (lot, rule, sensor, start) makes a re-run a no-op: a known finding adds no row and does not
// quarantine again (so a lot QA released stays released until a NEW excursion). A finding that
// was still running last time only has its end, minutes and extremes brought up to date.

export const EXPOSURE_ACTOR: Actor = { name: 'cold-chain-exposure', role: 'qa' };

/** statuses the rules move to quarantined (rejected lots are scrapped; quarantined ones stay) */
const QUARANTINABLE = new Set(['available', 'near_expiry', 'expired']);

const fmtC = (n: number | null) => (n === null ? '—' : `${Math.round(n * 10) / 10} °C`);

export function describeFinding(f: Finding): string {
  const when = `${new Date(f.from).toISOString()} → ${new Date(f.to).toISOString()}${f.ongoing ? ' (ongoing)' : ''}`;
  switch (f.rule) {
    case 'single_high': return `zone ${f.zone} sensor ${f.sensor}: above ${fmtC(f.threshold)} for ${f.minutes} min (limit ${f.limit} min), max ${fmtC(f.max)}, ${when}`;
    case 'single_low': return `zone ${f.zone} sensor ${f.sensor}: below ${fmtC(f.threshold)} for ${f.minutes} min (limit ${f.limit} min), min ${fmtC(f.min)}, ${when}`;
    case 'cumulative': return `zone ${f.zone} sensor ${f.sensor}: ${f.minutes} min out of range in total (limit ${f.limit} min), max ${fmtC(f.max)}, ${when}`;
    case 'mkt': return `zone ${f.zone} sensor ${f.sensor}: mean kinetic temperature ${fmtC(f.threshold)} above ${fmtC(f.limit)}, ${when}`;
  }
}

export interface ApplyOutcome { added: number; updated: number; quarantined: boolean }

export async function applyFindings(q: Queryable, lotId: number, profile: string, findings: Finding[], detectedAt: Date): Promise<ApplyOutcome> {
  // two runs (or a run and QA) on one lot are serialised
  const status = await lockLot(q, lotId);
  if (!status || status === 'rejected') return { added: 0, updated: 0, quarantined: false };
  let added = 0, updated = 0;
  const fresh: { id: string; f: Finding }[] = [];
  for (const f of findings) {
    const [r] = await q.query<{ id: string; inserted: boolean }>(
      `INSERT INTO lot_exposure_evidence (lot_id, rule, profile, zone, location, sensor, started_at, ended_at, ongoing, minutes,
         max_temp, min_temp, threshold, limit_value, detected_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
       ON CONFLICT (lot_id, rule, sensor, started_at) DO UPDATE SET ended_at = EXCLUDED.ended_at, ongoing = EXCLUDED.ongoing,
         minutes = EXCLUDED.minutes, max_temp = EXCLUDED.max_temp, min_temp = EXCLUDED.min_temp
       WHERE lot_exposure_evidence.ongoing AND (lot_exposure_evidence.ended_at, lot_exposure_evidence.ongoing, lot_exposure_evidence.minutes,
         lot_exposure_evidence.max_temp, lot_exposure_evidence.min_temp)
         IS DISTINCT FROM (EXCLUDED.ended_at, EXCLUDED.ongoing, EXCLUDED.minutes, EXCLUDED.max_temp, EXCLUDED.min_temp)
       RETURNING id, (xmax = 0) AS inserted`,
      [lotId, f.rule, profile, f.zone, f.location, f.sensor, new Date(f.from), new Date(f.to), f.ongoing, f.minutes,
        f.max, f.min, f.threshold, f.limit, detectedAt]);
    if (!r) continue;
    if (r.inserted) { added++; fresh.push({ id: r.id, f }); } else updated++;
  }
  if (!fresh.length || !QUARANTINABLE.has(status)) return { added, updated, quarantined: false };
  const reason = `cold-chain exposure (${profile}): ${fresh.map((x) => describeFinding(x.f)).join('; ')}`;
  await changeLotStatusIn(q, lotId, 'quarantined', reason.slice(0, 2000), EXPOSURE_ACTOR);
  await q.query('UPDATE lot_exposure_evidence SET quarantined = true WHERE id = ANY($1::bigint[])', [fresh.map((x) => x.id)]);
  return { added, updated, quarantined: true };
}
