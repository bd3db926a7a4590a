// What each role is told in the daily expiry digest: the same lots, with the step that role
// takes. Pure, so the wording is tested without a database.

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

/** the roles that act on expiring stock, and what each one does about it */
export const DIGEST_ROLES: Record<string, { near: string; expired: string }> = {
  warehouse: { near: 'pick these lots first (FEFO) and move them to the front', expired: 'pull these lots from the shelves; they cannot be picked' },
  qa: { near: 'check whether these lots can be used before their date', expired: 'decide on disposal: reject (scrap) or re-inspect' },
  sales: { near: 'promote or sell these lots first', expired: 'these lots are no longer available to promise' },
  purchasing: { near: 'slow down re-orders of these items', expired: 'review order quantities: stock expired unsold' },
};

export function buildDigests(day: string, lots: DigestLot[]): ExpiryDigest[] {
  const nearExpiry = lots.filter((l) => l.status === 'near_expiry');
  const expired = lots.filter((l) => l.status === 'expired');
  const line = (l: DigestLot) => `  ${l.item} lot ${l.lot}: ${l.onHand} ${l.unit}, expires ${l.expiresOn} (${l.locations.join(', ')})`;
  return Object.entries(DIGEST_ROLES).map(([role, todo]) => {
    const parts = [`Expiry digest ${day} for ${role}: ${nearExpiry.length} lot(s) near expiry, ${expired.length} expired.`];
    if (nearExpiry.length) parts.push(`Near expiry — ${todo.near}:`, ...nearExpiry.map(line));
    if (expired.length) parts.push(`Expired — ${todo.expired}:`, ...expired.map(line));
    return {
      type: 'stockpulse.expiry_digest' as const, day, role,
      action: [nearExpiry.length ? todo.near : '', expired.length ? todo.expired : ''].filter(Boolean).join('; '),
      nearExpiry, expired, text: parts.join('\n'),
    };
  });
}
