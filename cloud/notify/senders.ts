import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { SpError } from '../../protocols/errors.ts';
import type { CloudConfig } from '../config.ts';
import type { Queryable } from '../db/engine.ts';
import type { ChannelAddress } from './contacts.ts';
import { scrub, secretsOf } from './redact.ts';
import { postJson, type PostAnswer } from './post-json.ts';

// Sends one person-bound delivery. The address and credentials are looked up from the contact at
// send time (they never sit in the outbox row), DingTalk's signature is computed per attempt
// (DingTalk refuses timestamps more than an hour old), and every error text is scrubbed of
// credentials before it is stored or logged.

export interface SmtpSettings {
  /** nodemailer transport: an smtp:// / smtps:// URL (user:password@host:port) or transport options */
  transport: string | Record<string, unknown>;
  from: string;
}

/** a channel that did not take the message; the message (stored as the delivery's last error) stays the reason */
const delivery = (field: string, reason: string) => new SpError('SP_ERR_DELIVERY', { field, reason }, reason);

/** SMTP from the cloud config (STOCKPULSE_SMTP_URL, STOCKPULSE_SMTP_FROM, validated there); undefined when not configured */
export function smtpSettings(c: Pick<CloudConfig, 'STOCKPULSE_SMTP_URL' | 'STOCKPULSE_SMTP_FROM'>): SmtpSettings | undefined {
  return c.STOCKPULSE_SMTP_URL ? { transport: c.STOCKPULSE_SMTP_URL, from: c.STOCKPULSE_SMTP_FROM } : undefined;
}

/**
 * DingTalk 加签: sign = urlEncode(base64(HmacSHA256(key = secret, data = `${timestamp}\n${secret}`))),
 * appended as &timestamp=…&sign=… (timestamp in ms).
 * Docs: https://open.dingtalk.com/document/group/custom-robot-access (“加签”), same algorithm in
 * https://blog.csdn.net/jie1137815160/article/details/108222393
 */
export function dingtalkSignedUrl(address: string, secret: string, timestampMs: number): string {
  const sign = createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
  return `${address}${address.includes('?') ? '&' : '?'}timestamp=${timestampMs}&sign=${encodeURIComponent(sign)}`;
}

/** a file attached to an e-mail delivery: its bytes base64 (JSON-safe in the outbox row) */
export interface MailAttachment { filename: string; contentType: string; content: string }

export interface ContactDelivery {
  contact_id: number;
  channel: string;
  payload: Record<string, unknown>;
}

export interface ContactSenderOptions {
  db: Queryable;
  smtp?: SmtpSettings;
  /** ms clock for DingTalk timestamps (tests inject one) */
  clock?: () => number;
  timeoutMs?: number;
}

export class ContactSender {
  private mailer: Transporter | undefined;

  constructor(private readonly o: ContactSenderOptions) {}

  async send(d: ContactDelivery): Promise<void> {
    const rows = await this.o.db.query<{ channels: ChannelAddress[]; active: boolean }>(
      'SELECT channels, active FROM notify_contacts WHERE id = $1', [d.contact_id]);
    const ch = rows[0]?.channels.find((c) => c.type === d.channel);
    if (!rows[0] || !ch) throw delivery('contact', `contact ${d.contact_id} has no ${d.channel} address any more`);
    const secrets = [...secretsOf(ch.address), 'secret' in ch ? ch.secret : undefined];
    if (typeof this.o.smtp?.transport === 'string') secrets.push(...secretsOf(this.o.smtp.transport));
    try {
      await this.deliver(ch, d.payload);
    } catch (e) {
      throw delivery(ch.type, scrub((e as Error).message, secrets));
    }
  }

  private async deliver(ch: ChannelAddress, payload: Record<string, unknown>): Promise<void> {
    switch (ch.type) {
      case 'email': return this.mail(payload);
      case 'dingtalk': {
        const url = ch.secret ? dingtalkSignedUrl(ch.address, ch.secret, (this.o.clock ?? Date.now)()) : ch.address;
        return this.post('dingtalk', url, payload);
      }
      default: return this.post(ch.type, ch.address, payload);
    }
  }

  private async post(kind: string, url: string, payload: unknown): Promise<void> {
    let res: PostAnswer;
    try {
      res = await postJson(url, payload, { 'content-type': 'application/json; charset=utf-8' }, this.o.timeoutMs ?? 5000);
    } catch (e) {
      // the socket's code or why there was no answer (never the URL)
      const err = e as NodeJS.ErrnoException & { details?: { reason: string }[] };
      throw delivery(kind, `${kind} unreachable: ${err.code === 'SP_ERR_DELIVERY' ? err.details?.[0]?.reason : err.code ?? err.message}`);
    }
    const { status, body } = res;
    // Slack answers failures as a short plain-text reason (invalid_token, no_service): keep it
    if (status < 200 || status >= 300) throw delivery(kind, `${kind} answered HTTP ${status}${body && !/^\s*[[{]/.test(body) ? `: ${body.slice(0, 200)}` : ''}`);
    // WeCom and DingTalk answer HTTP 200 with {errcode, errmsg} — errcode 0 is success
    if (kind === 'wecom' || kind === 'dingtalk') {
      let parsed: { errcode?: number; errmsg?: string } = {};
      try { parsed = JSON.parse(body); } catch { /* not JSON: treat as accepted */ }
      if (typeof parsed.errcode === 'number' && parsed.errcode !== 0) throw delivery(kind, `${kind} errcode ${parsed.errcode}: ${parsed.errmsg ?? ''}`);
    }
  }

  private async mail(payload: Record<string, unknown>): Promise<void> {
    if (!this.o.smtp) throw new SpError('SP_ERR_CONFIG', { field: 'STOCKPULSE_SMTP_URL', reason: 'e-mail not configured' }, 'e-mail not configured (set STOCKPULSE_SMTP_URL)');
    this.mailer ??= nodemailer.createTransport(this.o.smtp.transport as never);
    const { to, subject, text, html, thread, attachments } = payload as { to: string; subject: string; text: string; html: string; thread?: string; attachments?: MailAttachment[] };
    // an incident's messages all refer to one id, so mail clients keep them in one conversation
    await this.mailer.sendMail({
      from: this.o.smtp.from, to, subject, text, html, ...(thread ? { inReplyTo: thread, references: [thread] } : {}),
      // files (a scheduled report's CSV) are stored base64 in the outbox row: exactly these bytes are attached
      ...(attachments?.length ? { attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, encoding: 'base64' })) } : {}),
    });
  }

  close(): void {
    this.mailer?.close();
  }
}
