// The channel-neutral content of one person-bound notification: what happened, why this person
// gets it now (first notice, escalation, reminder, all clear) and how to acknowledge. formats.ts
// renders it in each channel's own format.

export type Stage = 'raised' | 'escalated' | 'reminder' | 'cleared' | 'update';

/**
 * The incident a message belongs to (incidents.ts): its thread. `subject` is fixed by the alert
 * that started the thread, so every message of one incident reads as one conversation
 * (e-mail: "Re: <subject>" after the first; chat robots: the incident number in the title).
 */
export interface IncidentFacts { id: number; alerts: number; severity: string; subject: string }

/** the alert as stored (alerts table) */
export interface AlertFacts {
  id: string; gateway: string; zone: string; sensor: string | null; rule: string; severity: string; state: string;
  since: Date; raisedAt: Date; clearedAt: Date | null; value: number | null; threshold: number | null; message: string;
}

export interface NotifyMessage {
  stage: Stage;
  /** position in the escalation chain of the person addressed (0 = first contact) */
  level: number;
  /** for reminders: the reminder number; for escalations: minutes unacknowledged */
  reminder?: number;
  minutesUnacked?: number;
  alert: AlertFacts;
  /** absent for an alert stored without one (before migration 0017) */
  incident?: IncidentFacts;
  contact: { name: string; role: string; mobile: string | null };
  /** where a person acknowledges (dashboard URL) — optional */
  ackUrl?: string;
}

const RULE_LABEL: Record<string, string> = {
  high: 'High temperature', low: 'Low temperature', cumulative: 'Cumulative exposure', door_open: 'Door open',
  device_offline: 'Device offline', sensor_fault: 'Sensor fault', lot_quarantined: 'Lot quarantined', lot_expired: 'Lot expired',
  lot_near_expiry: 'Lot near expiry', low_stock: 'Low stock', count_drift: 'Count drift', unauthorised_removal: 'Unauthorised removal',
  unexpected_receipt: 'Unexpected receipt',
};
export const ruleLabel = (rule: string) => RULE_LABEL[rule] ?? rule.replace(/_/g, ' ');

export function title(m: NotifyMessage): string {
  // chat robots have no threads: the incident number in every title is what ties them together
  const what = `${ruleLabel(m.alert.rule)} · ${m.alert.zone}${m.incident ? ` — incident #${m.incident.id}` : ''}`;
  switch (m.stage) {
    case 'raised': return `[${m.alert.severity.toUpperCase()}] ${what}`;
    case 'escalated': return `[ESCALATED L${m.level}] ${what}`;
    case 'reminder': return `[REMINDER ${m.reminder ?? ''}] ${what}`.replace(' ]', ']');
    case 'cleared': return `[CLEARED] ${what}`;
    case 'update': return `[UPDATE] ${what}`;
  }
}

/** the subject that starts an incident's thread: "[CRITICAL] High temperature · chiller — incident #7" */
export const threadSubject = (a: Pick<AlertFacts, 'rule' | 'zone'>, severity: string, incidentId: number) =>
  `[${severity.toUpperCase()}] ${ruleLabel(a.rule)} · ${a.zone} — incident #${incidentId}`;

/** one sentence saying why this person gets this message now */
export function reason(m: NotifyMessage): string {
  switch (m.stage) {
    case 'raised': return `You are the first contact for this alert.`;
    case 'escalated': return `Not acknowledged for ${m.minutesUnacked} min: escalated to you (level ${m.level}).`;
    case 'reminder': return `Still not acknowledged after ${m.minutesUnacked} min (reminder ${m.reminder}).`;
    case 'cleared': return m.incident
      ? `Every alert of incident #${m.incident.id} has cleared${m.alert.clearedAt ? ` (the last at ${iso(m.alert.clearedAt)})` : ''}.`
      : `The condition has cleared${m.alert.clearedAt ? ` at ${iso(m.alert.clearedAt)}` : ''}.`;
    case 'update': return `Another alert joined incident #${m.incident?.id ?? '?'} (${m.incident?.alerts ?? '?'} alerts now): the same event, not a new page.`;
  }
}

export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0$/, ''));

/** label/value lines shared by every format, in a fixed order */
export function facts(m: NotifyMessage): [string, string][] {
  const a = m.alert;
  const out: [string, string][] = [['Zone', a.zone]];
  if (a.sensor) out.push(['Sensor', a.sensor]);
  out.push(['Severity', a.severity]);
  if (a.value !== null) out.push(['Value', a.threshold !== null ? `${num(a.value)} (threshold ${num(a.threshold)})` : num(a.value)]);
  out.push(['Since', iso(a.since)]);
  out.push(['Alert', a.id]);
  if (m.incident) out.push(['Incident', `#${m.incident.id} (${m.incident.alerts} alert${m.incident.alerts === 1 ? '' : 's'}, ${m.incident.severity})`]);
  return out;
}

export function ackLine(m: NotifyMessage): string | undefined {
  if (m.stage === 'cleared') return undefined;
  if (m.ackUrl) return `Acknowledge: ${m.ackUrl}`;
  return m.incident ? `Acknowledge on the dashboard or POST /api/incidents/${m.incident.id}/ack` : `Acknowledge on the dashboard or POST /api/alerts/${m.alert.id}/ack`;
}
