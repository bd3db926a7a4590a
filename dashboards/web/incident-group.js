// Alerts grouped into incidents (cloud/notify/incidents.ts: one zone event, many alerts, one
// acknowledgement). Every alert from the API carries its incidentId; an alert without one
// (stored before incidents existed) is a group of its own. Shared by the pinned strip
// (alert-strip.js) and the dashboard's Alerts panel (alert-list.js).

export const SEV_RANK = { critical: 3, warning: 2, info: 1 };

/** the key a group is known by in the DOM: `incident:ID`, or `alert:ID` for an alert on its own */
export const groupKey = (a) => (a.incidentId != null ? `incident:${a.incidentId}` : `alert:${a.id}`);

/**
 * @param {object[]} alerts  alerts as GET /api/alerts returns them
 * @returns {{key:string, incidentId:number|null, alerts:object[], lead:object, severity:string, zone:string,
 *   probes:number, since:number, rules:string[], acked:boolean, ackedBy:string|null, ackedAt:number|null, state:string}[]}
 *   most severe first, then newest; inside a group the most severe, newest alert first
 */
export function groupIncidents(alerts) {
  const by = new Map();
  for (const a of alerts) {
    const k = groupKey(a);
    if (!by.has(k)) by.set(k, []);
    by.get(k).push(a);
  }
  const groups = [...by.entries()].map(([key, list]) => {
    list.sort((a, b) => (SEV_RANK[b.severity] ?? 0) - (SEV_RANK[a.severity] ?? 0) || b.raisedAt - a.raisedAt);
    const active = list.filter((a) => a.state === 'active');
    // acknowledged: every active alert in it acknowledged (an incident ack acknowledges them all)
    const acked = active.length ? active.every((a) => a.ackedAt || a.ackedBy) : list.every((a) => a.ackedAt || a.ackedBy);
    const last = [...list].filter((a) => a.ackedAt).sort((a, b) => b.ackedAt - a.ackedAt)[0];
    return {
      key, incidentId: list[0].incidentId ?? null, alerts: list, lead: list[0], severity: list[0].severity, zone: list[0].zone,
      probes: new Set(list.map((a) => a.sensor ?? a.id)).size,
      since: Math.min(...list.map((a) => a.raisedAt ?? a.since)),
      rules: [...new Set(list.map((a) => a.rule))],
      acked, ackedBy: acked ? last?.ackedBy ?? list[0].ackedBy ?? null : null, ackedAt: acked ? last?.ackedAt ?? null : null,
      state: active.length ? 'active' : 'cleared',
    };
  });
  groups.sort((a, b) => (SEV_RANK[b.severity] ?? 0) - (SEV_RANK[a.severity] ?? 0) || b.since - a.since);
  return groups;
}
