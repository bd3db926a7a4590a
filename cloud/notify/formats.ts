import type { ChannelAddress, ChannelType } from './contacts.ts';
import { ackLine, facts, iso, reason, ruleLabel, threadSubject, title, type NotifyMessage } from './message.ts';
import { tr } from './i18n/index.ts';
import { SpError } from '../../protocols/errors.ts';

// Each channel's own message format. The payload is built when the delivery is created and
// stored in notification_deliveries.payload exactly as it will be POSTed (credentials are added
// to the URL only at send time), so GET /api/notifications/deliveries shows what people got.

/**
 * WeCom (企业微信) group robot, markdown message: POST {msgtype:"markdown", markdown:{content}}
 * to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY; content ≤ 4096 bytes, <font
 * color="info|comment|warning">, <@userid> mentions a member.
 * Docs: https://developer.work.weixin.qq.com/document/path/91770 ,
 *       https://docs.zhuonian.xyz/api/wecom-webhook.html , https://hc.huoban.com/0a90/c72f/d629
 */
export function wecomPayload(m: NotifyMessage, ch: Extract<ChannelAddress, { type: 'wecom' }>) {
  const color = m.stage === 'cleared' || m.alert.severity === 'info' ? 'info' : m.alert.severity === 'critical' ? 'warning' : 'comment';
  const lines = [
    `### <font color="${color}">${title(m)}</font>`,
    m.alert.message,
    ...facts(m).map(([k, v]) => `> ${k}: **${v}**`),
    reason(m),
  ];
  if (ch.userId) lines.push(`<@${ch.userId}>`);
  const ack = ackLine(m);
  if (ack) lines.push(ack);
  return { msgtype: 'markdown', markdown: { content: truncateBytes(lines.join('\n'), 4096) } };
}

/**
 * DingTalk (钉钉) custom robot: {msgtype:"markdown", markdown:{title, text}, at:{atMobiles, isAtAll}}
 * or {msgtype:"text", text:{content}, at:{…}}; a mention only shows when the text also contains
 * "@<mobile>". Signing (加签) is applied to the URL at send time (see dingtalkSignedUrl).
 * Docs: https://open.dingtalk.com/document/group/custom-robot-access ,
 *       https://open.dingtalk.com/document/development/robot-message-type
 */
export function dingtalkPayload(m: NotifyMessage, ch: Extract<ChannelAddress, { type: 'dingtalk' }>) {
  const mobile = m.contact.mobile;
  const at = { atMobiles: mobile ? [mobile] : [], isAtAll: false };
  const ack = ackLine(m);
  if (ch.format === 'text') {
    const content = [title(m), m.alert.message, ...facts(m).map(([k, v]) => `${k}: ${v}`), reason(m), ...(ack ? [ack] : [])].join('\n');
    return { msgtype: 'text', text: { content: mobile ? `${content}\n@${mobile}` : content }, at };
  }
  // DingTalk markdown needs a blank line between paragraphs to break lines
  const text = [`#### ${title(m)}`, m.alert.message, ...facts(m).map(([k, v]) => `> ${k}: **${v}**`), reason(m),
    ...(ack ? [ack] : []), ...(mobile ? [`@${mobile}`] : [])].join('\n\n');
  return { msgtype: 'markdown', markdown: { title: title(m), text }, at };
}

/** Slack mrkdwn: &, < and > are control characters and must be escaped. */
const slackEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Slack incoming webhook: {text, blocks}. With blocks present, `text` is the fallback shown in
 * notifications; header (plain_text ≤ 150 chars), section (mrkdwn text, ≤ 10 fields), context.
 * Docs: https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks ,
 *       https://docs.slack.dev/tools/slack-github-action/sending-data-slack-incoming-webhook ,
 *       https://docs.slack.dev/reference/block-kit/blocks
 */
export function slackPayload(m: NotifyMessage, ch: Extract<ChannelAddress, { type: 'slack' }>) {
  const mention = ch.userId ? `<@${ch.userId}> ` : '';
  const ack = ackLine(m);
  return {
    text: `${title(m)}: ${m.alert.message}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title(m).slice(0, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `${mention}${slackEsc(m.alert.message)}\n_${slackEsc(reason(m))}_` } },
      { type: 'section', fields: facts(m).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${slackEsc(v)}` })) },
      ...(ack ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: slackEsc(ack) }] }] : []),
    ],
  };
}

const htmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** E-mail (sent with nodemailer over SMTP, https://nodemailer.com/smtp/ and https://nodemailer.com/message/): plain text + HTML. */
export function emailPayload(m: NotifyMessage, ch: Extract<ChannelAddress, { type: 'email' }>) {
  const ack = ackLine(m);
  const text = [m.alert.message, '', ...facts(m).map(([k, v]) => `${k}: ${v}`), '', reason(m), ...(ack ? [ack] : [])].join('\n');
  const html = `<p>${htmlEsc(m.alert.message)}</p><table>${facts(m).map(([k, v]) => `<tr><th align="left">${htmlEsc(k)}</th><td>${htmlEsc(v)}</td></tr>`).join('')}</table>`
    + `<p><em>${htmlEsc(reason(m))}</em></p>${ack ? `<p>${htmlEsc(ack)}</p>` : ''}`;
  // one incident, one e-mail thread: the first message has the thread's subject, every later one
  // (escalation, reminder, update, all clear) answers it ("Re: …") with the same References id
  const thread = m.incident ? `<incident-${m.incident.id}@stockpulse>` : undefined;
  // the thread's subject in the recipient's language (the stored one is English)
  const threadSubj = m.incident && m.incident.lead && m.locale && m.locale !== 'en'
    ? threadSubject(m.incident.lead, m.incident.lead.severity, m.incident.id, m.locale) : m.incident?.subject;
  const subject = !m.incident ? title(m) : m.stage === 'raised' ? threadSubj! : tr(m.locale, 'email.reply', { subject: threadSubj! });
  const body = m.incident ? `${title(m)}\n\n${text}` : text;
  return { to: ch.address, subject, text: body, html: m.incident ? `<p><b>${htmlEsc(title(m))}</b></p>${html}` : html, ...(thread ? { thread } : {}) };
}

/**
 * Generic JSON webhook for a person's own endpoint: the field names of the config-target body (targets.ts) plus who and why.
 * Machine-readable: the keys and the codes (stage, rule, severity) stay English; only `title`, for people, is in the contact's language.
 */
export function webhookPayload(m: NotifyMessage) {
  const a = m.alert;
  return {
    type: 'stockpulse.notification',
    stage: m.stage,
    level: m.level,
    ...(m.reminder !== undefined ? { reminder: m.reminder } : {}),
    contact: { name: m.contact.name, role: m.contact.role },
    title: title(m),
    ...(m.incident ? { incident: { id: m.incident.id, thread: `incident:${m.incident.id}`, update: m.stage !== 'raised', alerts: m.incident.alerts, severity: m.incident.severity } } : {}),
    alert: {
      id: a.id, rule: a.rule, ruleLabel: ruleLabel(a.rule), severity: a.severity, state: a.state, zone: a.zone, sensor: a.sensor,
      gateway: a.gateway, message: a.message, value: a.value, threshold: a.threshold, since: iso(a.since), raisedAt: iso(a.raisedAt),
      clearedAt: a.clearedAt ? iso(a.clearedAt) : null,
    },
  };
}

export function channelPayload(type: ChannelType, m: NotifyMessage, ch: ChannelAddress): Record<string, unknown> {
  switch (ch.type) {
    case 'wecom': return wecomPayload(m, ch);
    case 'dingtalk': return dingtalkPayload(m, ch);
    case 'slack': return slackPayload(m, ch);
    case 'email': return emailPayload(m, ch);
    case 'webhook': return webhookPayload(m);
  }
  throw new SpError('SP_ERR_VALIDATION', { field: 'channel', reason: `unknown channel ${type}` }, `unknown channel ${type}`);
}

export function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s;
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, -1);
  return `${out}...`;
}
