// The words the notifier writes itself around an alert (titles, reasons, fact labels, the
// acknowledge line), in English. zh-CN.ts has the same keys with the same {placeholders}
// (tests/cloud/notify/catalogue.test.ts). The alert's own message comes from the gateway in English
// and is sent as it is, inside these words. JSON keys of machine payloads are never translated.
export default {
  'title.raised': '[{severity}] {what}',
  'title.escalated': '[ESCALATED L{level}] {what}',
  'title.reminder': '[REMINDER {n}] {what}',
  'title.reminderFirst': '[REMINDER] {what}',
  'title.cleared': '[CLEARED] {what}',
  'title.update': '[UPDATE] {what}',
  'title.what': '{rule} · {zone}',
  'title.whatIncident': '{rule} · {zone} — incident #{incident}',

  'titleSeverity.critical': 'CRITICAL',
  'titleSeverity.warning': 'WARNING',
  'titleSeverity.info': 'INFO',
  'severity.critical': 'critical',
  'severity.warning': 'warning',
  'severity.info': 'info',

  'rule.high': 'High temperature',
  'rule.low': 'Low temperature',
  'rule.cumulative': 'Cumulative exposure',
  'rule.door_open': 'Door open',
  'rule.device_offline': 'Device offline',
  'rule.sensor_fault': 'Sensor fault',
  'rule.lot_quarantined': 'Lot quarantined',
  'rule.lot_expired': 'Lot expired',
  'rule.lot_near_expiry': 'Lot near expiry',
  'rule.low_stock': 'Low stock',
  'rule.count_drift': 'Count drift',
  'rule.unauthorised_removal': 'Unauthorised removal',
  'rule.unexpected_receipt': 'Unexpected receipt',

  'reason.raised': 'You are the first contact for this alert.',
  'reason.escalated': 'Not acknowledged for {minutes} min: escalated to you (level {level}).',
  'reason.reminder': 'Still not acknowledged after {minutes} min (reminder {n}).',
  'reason.clearedIncident': 'Every alert of incident #{incident} has cleared.',
  'reason.clearedIncidentAt': 'Every alert of incident #{incident} has cleared (the last at {at}).',
  'reason.cleared': 'The condition has cleared.',
  'reason.clearedAt': 'The condition has cleared at {at}.',
  'reason.update': 'Another alert joined incident #{incident} ({alerts} alerts now): the same event, not a new page.',

  'fact.zone': 'Zone',
  'fact.sensor': 'Sensor',
  'fact.severity': 'Severity',
  'fact.value': 'Value',
  'fact.valueThreshold': '{value} (threshold {threshold})',
  'fact.since': 'Since',
  'fact.alert': 'Alert',
  'fact.incident': 'Incident',
  'fact.incidentValue.one': '#{incident} ({count} alert, {severity})',
  'fact.incidentValue.other': '#{incident} ({count} alerts, {severity})',

  'ack.url': 'Acknowledge: {url}',
  'ack.incident': 'Acknowledge on the dashboard or POST /api/incidents/{incident}/ack',
  'ack.alert': 'Acknowledge on the dashboard or POST /api/alerts/{alert}/ack',
  // the reply prefix that threads an e-mail conversation in every mail client
  'email.reply': 'Re: {subject}',
} as const satisfies Record<string, string>;
