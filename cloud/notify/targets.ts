// Where alert transitions go. Each target gets its own delivery row per transition, so one
// failing webhook never holds back the others and every attempt is on record. The rows and their
// body are written in one place, deliveries.ts.

export type NotificationTarget =
  | { channel: 'webhook'; target: string; format: 'json' }
  | { channel: 'mqtt'; target: string };

export interface NotificationConfig {
  webhooks: { url: string }[];
  /** publish each transition on stockpulse/v1/alerts/{zone} */
  mqttAlerts: boolean;
}

/**
 * An `info` alert (the edge's defrost record, rule `defrost`) is kept as a record for the
 * exposure history and the charts; it is not news for anyone: never sent by a target, and routed
 * to people only by a route that asks for severity info explicitly.
 */
export const isRecordOnly = (a: { severity: string }): boolean => a.severity === 'info';

export function notificationTargets(cfg: NotificationConfig): NotificationTarget[] {
  const list: NotificationTarget[] = cfg.webhooks.map((w) => ({ channel: 'webhook', target: w.url, format: 'json' }));
  // One mqtt target whose topic is chosen per alert (by zone) at send time.
  if (cfg.mqttAlerts) list.push({ channel: 'mqtt', target: 'stockpulse/v1/alerts/{zone}' });
  return list;
}
