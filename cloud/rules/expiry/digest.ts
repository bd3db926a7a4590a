import { tr, type Locale, type NotifyKey } from '../../notify/i18n/index.ts';

// What each role is told in the daily expiry digest: the same lots, with the step that role
// takes. Pure, so the wording is tested without a database. The words come from the notifier's
// catalogue (cloud/notify/i18n/): the digest as stored and sent to config targets is English
// (its `text` unchanged since before the catalogue); a contact gets digestText() in their locale.

export interface DigestLot {
  item: string; name: string; unit: string; lot: string; status: 'near_expiry' | 'expired';
  expiresOn: string; onHand: number; locations: string[];
}

export interface ExpiryDigest {
  type: 'stockpulse.expiry_digest';
  day: string;
  role: string;
  action: string;
  nearExpiry: DigestLot[];
  expired: DigestLot[];
  text: string;
}

type DigestRole = 'warehouse' | 'qa' | 'sales' | 'purchasing';
const ROLES: readonly DigestRole[] = ['warehouse', 'qa', 'sales', 'purchasing'];
const todo = (role: string, which: 'near' | 'expired', l?: Locale) => tr(l, `digest.todo.${role}.${which}` as NotifyKey);

/** the roles that act on expiring stock, and what each one does about it (English) */
export const DIGEST_ROLES: Record<string, { near: string; expired: string }> = Object.fromEntries(
  ROLES.map((r) => [r, { near: todo(r, 'near'), expired: todo(r, 'expired') }]));

const roleWord = (role: string, l?: Locale) => (ROLES.includes(role as DigestRole) ? tr(l, `digest.role.${role}` as NotifyKey) : role);

/** the heading of a digest: a mail subject, a robot message's title */
export const digestTitle = (d: Pick<ExpiryDigest, 'day' | 'role'>, l?: Locale) => tr(l, 'digest.title', { day: d.day, role: roleWord(d.role, l) });

/** the digest's lines for a person: the count, then each group with the role's step and one line per lot */
export function digestLines(d: Pick<ExpiryDigest, 'day' | 'role' | 'nearExpiry' | 'expired'>, l?: Locale): { summary: string; groups: { heading: string; lines: string[] }[] } {
  const line = (x: DigestLot) => tr(l, 'digest.line', {
    item: x.item, lot: x.lot, qty: x.onHand, unit: x.unit, date: x.expiresOn, locations: x.locations.join(tr(l, 'digest.listSeparator')),
  });
  const groups: { heading: string; lines: string[] }[] = [];
  if (d.nearExpiry.length) groups.push({ heading: tr(l, 'digest.near', { todo: todo(d.role, 'near', l) }), lines: d.nearExpiry.map(line) });
  if (d.expired.length) groups.push({ heading: tr(l, 'digest.expired', { todo: todo(d.role, 'expired', l) }), lines: d.expired.map(line) });
  return { summary: tr(l, 'digest.summary', { day: d.day, role: roleWord(d.role, l), near: d.nearExpiry.length, expired: d.expired.length }), groups };
}

/** the whole digest as plain text in a language (English: exactly the stored digest's `text`) */
export function digestText(d: Pick<ExpiryDigest, 'day' | 'role' | 'nearExpiry' | 'expired'>, l?: Locale): string {
  const { summary, groups } = digestLines(d, l);
  return [summary, ...groups.flatMap((g) => [g.heading, ...g.lines])].join('\n');
}

export function buildDigests(day: string, lots: DigestLot[]): ExpiryDigest[] {
  const nearExpiry = lots.filter((l) => l.status === 'near_expiry');
  const expired = lots.filter((l) => l.status === 'expired');
  return ROLES.map((role) => {
    const todo = DIGEST_ROLES[role]!;
    return {
      type: 'stockpulse.expiry_digest' as const, day, role,
      action: [nearExpiry.length ? todo.near : '', expired.length ? todo.expired : ''].filter(Boolean).join('; '),
      nearExpiry, expired, text: digestText({ day, role, nearExpiry, expired }),
    };
  });
}
