import type { Queryable } from '../../db/engine.ts';
import { listContacts, type ChannelAddress, type Contact } from '../../notify/contacts.ts';
import { truncateBytes } from '../../notify/formats.ts';
import { queueContactDigest } from '../../notify/deliveries.ts';
import { digestLines, digestText, digestTitle, type ExpiryDigest } from './digest.ts';

// The daily expiry digest for people: every active contact whose role is the digest's gets it on
// each of their channels, in their own language (the contact's locale, migration 0020) — heading,
// the role's step, one line per lot. Rows of the same notification_deliveries outbox the alerts
// use (sent by the dispatcher, shown on the dashboard), keyed (digest, 'digest', channel,
// contact:ID) so a re-run of the day sends nothing twice. The config targets (webhook / MQTT)
// keep getting the machine payload, in English, from sweep.ts.

const htmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Slack mrkdwn: &, < and > are control characters */
const slackEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** the digest in one channel's own format (the same shapes formats.ts gives an alert) */
export function digestPayload(d: ExpiryDigest, c: Pick<Contact, 'name' | 'role' | 'mobile' | 'locale'>, ch: ChannelAddress): Record<string, unknown> {
  const l = c.locale;
  const title = digestTitle(d, l);
  const { summary, groups } = digestLines(d, l);
  switch (ch.type) {
    case 'email': {
      const html = `<p>${htmlEsc(summary)}</p>${groups.map((g) => `<p><b>${htmlEsc(g.heading)}</b></p><ul>${g.lines.map((x) => `<li>${htmlEsc(x.trim())}</li>`).join('')}</ul>`).join('')}`;
      return { to: ch.address, subject: title, text: digestText(d, l), html };
    }
    case 'wecom': {
      const lines = [`### ${title}`, summary, ...groups.flatMap((g) => [`**${g.heading}**`, ...g.lines.map((x) => `> ${x.trim()}`)])];
      if (ch.userId) lines.push(`<@${ch.userId}>`);
      return { msgtype: 'markdown', markdown: { content: truncateBytes(lines.join('\n'), 4096) } };
    }
    case 'dingtalk': {
      const at = { atMobiles: c.mobile ? [c.mobile] : [], isAtAll: false };
      const mention = c.mobile ? `@${c.mobile}` : '';
      if (ch.format === 'text') return { msgtype: 'text', text: { content: [title, digestText(d, l), mention].filter(Boolean).join('\n') }, at };
      const text = [`#### ${title}`, summary, ...groups.map((g) => [`**${g.heading}**`, ...g.lines.map((x) => `- ${x.trim()}`)].join('\n')), mention]
        .filter(Boolean).join('\n\n');
      return { msgtype: 'markdown', markdown: { title, text: truncateBytes(text, 18_000) }, at };
    }
    case 'slack': {
      const mention = ch.userId ? `<@${ch.userId}> ` : '';
      return {
        text: title,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
          { type: 'section', text: { type: 'mrkdwn', text: `${mention}${slackEsc(summary)}` } },
          ...groups.map((g) => ({ type: 'section', text: { type: 'mrkdwn', text: truncateBytes(`*${slackEsc(g.heading)}*\n${g.lines.map((x) => slackEsc(x.trim())).join('\n')}`, 3000) } })),
        ],
      };
    }
    case 'webhook':
      // machine-readable: the digest's fields as the config targets get them; `title` is for people, in the contact's language
      return { ...d, contact: { name: c.name, role: c.role }, title };
  }
}

/** queues the digest for every active contact of its role, one row per channel; returns the rows created */
export async function queueDigestForContacts(q: Queryable, d: ExpiryDigest, now: Date): Promise<number> {
  const contacts = (await listContacts(q)).filter((c) => c.active && c.role === d.role);
  let created = 0;
  for (const c of contacts) {
    for (const ch of c.channels) {
      created += await queueContactDigest(q, { digestId: `expiry-digest:${d.day}:${d.role}`, channel: ch.type, contactId: c.id, payload: digestPayload(d, c, ch), now });
    }
  }
  return created;
}
