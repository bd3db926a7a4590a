import type { JobContext, JobResult } from '../../jobs/job.ts';
import { computeExposures } from './exposure.ts';
import { loadLotFacts } from './presence.ts';
import { loadProfiles } from './profiles.ts';
import { applyFindings } from './quarantine.ts';
import { raiseCloudAlerts, type CloudAlert } from '../../notify/alerts.ts';
import { DEFAULT_MAX_GAP_MS } from './series.ts';
import type { Finding } from './evaluate.ts';

// One run of the cold-chain exposure rule. Looks at every lot (not rejected, with a storage
// profile that has rules) that stayed in a measured zone during the run's period or the
// lookback before it, computes its exposure over its whole stay up to the end of the period,
// and quarantines it on a new finding. Readings after the period's end (or the run's clock)
// are not used, so a run for a past period gives the same answer whenever it is repeated.

export interface ExposureRunOptions {
  /** how long one reading holds before the time counts as "no data" */
  maxGapMs?: number;
  /** lots that left their zone up to this long before the period are still looked at (late readings) */
  lookbackMs?: number;
}

export const DEFAULT_LOOKBACK_MS = 7 * 86_400_000;

export async function runExposure(ctx: JobContext, o: ExposureRunOptions = {}): Promise<JobResult> {
  const maxGapMs = o.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const asOf = Math.min(ctx.now.getTime(), ctx.period.to.getTime());
  const since = ctx.period.from.getTime() - (o.lookbackMs ?? DEFAULT_LOOKBACK_MS);
  const profiles = await loadProfiles(ctx.db);
  const lots = (await loadLotFacts(ctx.db)).filter((l) =>
    l.status !== 'rejected' && l.profile !== null && profiles.has(l.profile)
    && l.presence.some((p) => p.iotZone && p.from < asOf && (p.to === null || p.to > since)));
  const { exposures, readingsRead } = await computeExposures(ctx.db, lots, profiles, {
    asOf, maxGapMs, onZone: (done, total) => ctx.progress(done, total),
  });
  const counts = { lots_evaluated: lots.length, readings_read: readingsRead, findings: 0, evidence_added: 0, evidence_updated: 0, lots_quarantined: 0 };
  for (const e of exposures) {
    if (!e.findings.length) continue;
    counts.findings += e.findings.length;
    const r = await ctx.db.tx(async (q) => {
      const outcome = await applyFindings(q, e.lot.id, e.profile.name, e.findings, ctx.now);
      // QA must hear of it: an alert routed and escalated like any other, cleared by release/reject
      if (outcome.quarantined) await raiseCloudAlerts(q, [quarantineAlert(e.lot, e.findings)], ctx.now, ctx.notify);
      return outcome;
    });
    counts.evidence_added += r.added;
    counts.evidence_updated += r.updated;
    if (r.quarantined) {
      counts.lots_quarantined++;
      ctx.log.warn({ lot: e.lot.id, code: e.lot.code, item: e.lot.item, findings: e.findings.length }, 'lot quarantined: cold-chain exposure');
    }
  }
  return counts;
}

const RULE_TEXT: Record<Finding['rule'], string> = { single_high: 'above range', single_low: 'below range', cumulative: 'cumulative time out of range', mkt: 'mean kinetic temperature over its limit' };

function quarantineAlert(lot: { id: number; code: string; item: string }, findings: Finding[]): CloudAlert {
  const f = findings[0]!;
  const temp = f.max ?? f.min;
  return {
    // one alert per quarantine (a lot released and quarantined again by a new excursion is news)
    id: `lot:${lot.id}:quarantined:${Math.min(...findings.map((x) => x.from))}`, zone: f.zone, rule: 'lot_quarantined', severity: 'critical', value: temp,
    message: `Lot ${lot.code} of ${lot.item} quarantined: ${RULE_TEXT[f.rule]} in ${f.zone} for ${Math.round(f.minutes)} min`
      + `${temp !== null ? ` (${temp.toFixed(1)} °C, sensor ${f.sensor})` : ''}${findings.length > 1 ? ` and ${findings.length - 1} more finding(s)` : ''}`
      + ' — QA: release or reject it on its passport',
    extra: { lot: { id: lot.id, code: lot.code, item: lot.item }, evidence: findings.map((x) => ({ rule: x.rule, sensor: x.sensor, zone: x.zone, from: x.from, to: x.to, minutes: x.minutes, max: x.max, min: x.min })) },
  };
}
