// Items and locations the forms offer, fetched once per page; and the item a scanned GTIN names.
import { call } from './doc-common.js';
import { t } from './i18n.js';

let items, locations;
export const getItems = async () => (items ??= await call('GET', '/api/items').catch(() => { items = undefined; return []; }));
export const getLocations = async () => (locations ??= await call('GET', '/api/locations').catch(() => { locations = undefined; return []; }));

/** the item with this GTIN-14 (items keep the GTIN as printed: 8, 12, 13 or 14 digits) */
export async function itemByGtin(gtin14) {
  const all = await getItems();
  const hit = all.find((i) => i.gtin && String(i.gtin).padStart(14, '0') === gtin14);
  if (!hit) throw new Error(t('scan.unknownGtin', { gtin: gtin14 }));
  return hit;
}
