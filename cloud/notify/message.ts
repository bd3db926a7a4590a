// The channel-neutral content of one person-bound notification: what happened, why this person
// gets it now (first notice, escalation, reminder, all clear) and how to acknowledge. formats.ts
// renders it in each channel's own format.

import { tr, trWord, type Locale } from './i18n/index.ts';

export type Stage = 'raised' | 'escalated' | 'reminder' | 'cleared' | 'update';

/**
 * The incident a message belongs to (incidents.ts): its thread. `subject` is fixed by the alert
 * that started the thread, so every message of one incident reads as one conversation
 * (e-mail: "Re: <subject>" after the first; chat robots: the incident number in the title).
 */
export interface IncidentFacts {
  id: number; alerts: number; severity: string; subject: string;
  /** what the subject was made of, so a recipient with another language gets it in theirs */
  lead?: { rule: string; zone: string; severity: string };
}

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
  /** the recipient's language (the contact's locale); absent = English */
  locale?: Locale;
}

const word = (l: Locale | undefined, prefix: 'rule' | 'severity' | 'titleSeverity', v: string, fallback: string) => trWord(l, prefix, v) ?? fallback;
export const ruleLabel = (rule: string, l?: Locale) => word(l, 'rule', rule, rule.replace(/_/g, ' '));
const severityWord = (s: string, l?: Locale) => word(l, 'severity', s, s);
const titleSeverity = (s: string, l?: Locale) => word(l, 'titleSeverity', s, s.toUpperCase());

export function title(m: NotifyMessage): string {
  const l = m.locale;
  // chat robots have no threads: the incident number in every title is what ties them together
  const what = m.incident
    ? tr(l, 'title.whatIncident', { rule: ruleLabel(m.alert.rule, l), zone: m.alert.zone, incident: m.incident.id })
    : tr(l, 'title.what', { rule: ruleLabel(m.alert.rule, l), zone: m.alert.zone });
  switch (m.stage) {
    case 'raised': return tr(l, 'title.raised', { severity: titleSeverity(m.alert.severity, l), what });
    case 'escalated': return tr(l, 'title.escalated', { level: m.level, what });
    case 'reminder': return m.reminder === undefined ? tr(l, 'title.reminderFirst', { what }) : tr(l, 'title.reminder', { n: m.reminder, what });
    case 'cleared': return tr(l, 'title.cleared', { what });
    case 'update': return tr(l, 'title.update', { what });
  }
}

/** the subject that starts an incident's thread: "[CRITICAL] High temperature · chiller — incident #7" (in the recipient's language) */
export const threadSubject = (a: Pick<AlertFacts, 'rule' | 'zone'>, severity: string, incidentId: number, l?: Locale) =>
  tr(l, 'title.raised', { severity: titleSeverity(severity, l),
    what: tr(l, 'title.whatIncident', { rule: ruleLabel(a.rule, l), zone: a.zone, incident: incidentId }) });

/** one sentence saying why this person gets this message now */
export function reason(m: NotifyMessage): string {
  const l = m.locale;
  switch (m.stage) {
    case 'raised': return tr(l, 'reason.raised');
    case 'escalated': return tr(l, 'reason.escalated', { minutes: String(m.minutesUnacked), level: m.level });
    case 'reminder': return tr(l, 'reason.reminder', { minutes: String(m.minutesUnacked), n: String(m.reminder) });
    case 'cleared': {
      const at = m.alert.clearedAt ? iso(m.alert.clearedAt) : undefined;
      if (m.incident) return at ? tr(l, 'reason.clearedIncidentAt', { incident: m.incident.id, at }) : tr(l, 'reason.clearedIncident', { incident: m.incident.id });
      return at ? tr(l, 'reason.clearedAt', { at }) : tr(l, 'reason.cleared');
    }
    case 'update': return tr(l, 'reason.update', { incident: m.incident?.id ?? '?', alerts: m.incident?.alerts ?? '?' });
  }
}

export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0$/, ''));

/** label/value lines shared by every format, in a fixed order (labels in the recipient's language) */
export function facts(m: NotifyMessage): [string, string][] {
  const a = m.alert;
  const l = m.locale;
  const out: [string, string][] = [[tr(l, 'fact.zone'), a.zone]];
  if (a.sensor) out.push([tr(l, 'fact.sensor'), a.sensor]);
  out.push([tr(l, 'fact.severity'), severityWord(a.severity, l)]);
  if (a.value !== null) out.push([tr(l, 'fact.value'), a.threshold !== null ? tr(l, 'fact.valueThreshold', { value: num(a.value), threshold: num(a.threshold) }) : num(a.value)]);
  out.push([tr(l, 'fact.since'), iso(a.since)]);
  out.push([tr(l, 'fact.alert'), a.id]);
  if (m.incident) {
    out.push([tr(l, 'fact.incident'), tr(l, m.incident.alerts === 1 ? 'fact.incidentValue.one' : 'fact.incidentValue.other',
      { incident: m.incident.id, count: m.incident.alerts, severity: severityWord(m.incident.severity, l) })]);
  }
  return out;
}

export function ackLine(m: NotifyMessage): string | undefined {
  const l = m.locale;
  if (m.stage === 'cleared') return undefined;
  if (m.ackUrl) return tr(l, 'ack.url', { url: m.ackUrl });
  return m.incident ? tr(l, 'ack.incident', { incident: m.incident.id }) : tr(l, 'ack.alert', { alert: m.alert.id });
}
