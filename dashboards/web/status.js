// Status rules for what the operator sees. One place so the panel colour, the big value and
// the sensor strip never disagree.

/** A reading older than this is stale: the device may be offline even if no alert fired yet. */
export const STALE_MS = 3 * 60_000;

/** Alert rules that concern a temperature series (vs door / device health). */
const TEMPERATURE_RULES = new Set(['high', 'low', 'cumulative']);

/** Worst first: used to pick the zone colour from its sensors. */
const RANK = { alarm: 5, warning: 4, excursion: 3, stale: 2, ok: 1, none: 0 };

export function worst(statuses) {
  return statuses.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'none');
}

/** The profile says a reading AT a limit is already an excursion (see protocols/uplink/contract.ts). */
export function outOfRange(value, profile) {
  if (!Number.isFinite(value)) return false;
  if (typeof profile?.high === 'number' && value >= profile.high) return true;
  if (typeof profile?.low === 'number' && value <= profile.low) return true;
  return false;
}

/**
 * ok / excursion (out of range, delay not yet elapsed, no alarm) / alarm (an active alert
 * names this sensor, or the zone without naming one) / stale (no reading for 3 min).
 */
export function sensorStatus({ sensorId, latest, profile, activeAlerts, now = Date.now() }) {
  const alarmed = activeAlerts.some(
    (a) => a.state === 'active' && a.severity !== 'info' && TEMPERATURE_RULES.has(a.rule) && (!a.sensor || a.sensor === sensorId),
  );
  if (alarmed) return 'alarm';
  if (!latest) return 'stale';
  if (now - latest.ts > STALE_MS) return 'stale';
  return outOfRange(latest.value, profile) ? 'excursion' : 'ok';
}

export function zoneStatus({ zone, activeAlerts, now = Date.now() }) {
  const zoneAlerts = activeAlerts.filter((a) => a.zone === zone.id && a.state === 'active');
  // Red for what threatens the goods (critical, or any temperature alarm); amber for the rest
  // (door left open, device offline) so a red panel always means "go and look at the product".
  if (zoneAlerts.some((a) => a.severity === 'critical' || (a.severity === 'warning' && TEMPERATURE_RULES.has(a.rule)))) return 'alarm';
  const warned = zoneAlerts.some((a) => a.severity === 'warning');
  const temps = zone.sensors.filter((s) => s.kind === 'temperature');
  const statuses = temps.map((s) =>
    sensorStatus({ sensorId: s.id, latest: zone.latest.find((l) => l.sensor === s.id), profile: zone.profile, activeAlerts: zoneAlerts, now }),
  );
  return worst([...statuses, warned ? 'warning' : 'ok']);
}
