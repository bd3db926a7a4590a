import type { Db } from '../cloud/db/engine.ts';
import { createItem, createLocation, createPartner, setSupplierPrice } from '../cloud/inventory/master-data.ts';
import { createLot, findLot } from '../cloud/inventory/lots.ts';
import { postMovement, postMovementIn } from '../cloud/inventory/ledger.ts';
import { SYSTEM } from '../cloud/inventory/model.ts';
import { upsertProfile } from '../cloud/rules/exposure/profiles.ts';
import { DEFAULT_DELTA_H_KJ } from '../cloud/rules/exposure/mkt.ts';

// The cold stock of the demo bakery (issue #13 part 5): dairy in the chiller and frozen dough in
// the freezer, in bins whose zone location is watched by that room's probes (locations.iot_zone),
// with expiry dates (some near, one past), lead times, safety stock, supplier prices and three
// months of shipments, so that right after `npm start` the stock page shows near-expiry and
// expired lots, Planning shows a reorder suggestion, and a compressor failure on the chiller
// quarantines exactly the chiller's lots.
//
// Everything goes through the domain functions (createItem, createLot, postMovement …) and is
// seeded once: on a restart the items exist and nothing is added (the ledger is append-only, a
// second history would double the demand). Only the storage profiles are set at every start,
// because they follow the run's time scale (below).

const DAY = 86_400_000;

/**
 * The demo's storage profiles: the seeded `chilled` / `frozen` rules (migration 0009) with every
 * duration divided by the time scale. The rooms' physics run that much faster than the wall
 * clock while readings carry wall-clock timestamps, so a 30-minute allowance must be one real
 * minute at ×30 — otherwise a compressor failure the demo shows in 3 minutes would need an hour
 * of real time before any lot is quarantined.
 */
export function demoProfiles(timeScale: number) {
  const m = (min: number) => Math.round((min / timeScale) * 1000) / 1000;
  return [
    { name: 'demo-chilled', tempLow: 2, tempHigh: 8, alarmHigh: 8, alarmLow: null, singleMinutes: m(30), cumulativeMinutes: m(600), mktLimit: null, deltaHkJ: DEFAULT_DELTA_H_KJ, defrostMinutes: null, defrostMaxTemp: null },
    { name: 'demo-frozen', tempLow: null, tempHigh: -18, alarmHigh: -15, alarmLow: null, singleMinutes: m(60), cumulativeMinutes: null, mktLimit: null, deltaHkJ: DEFAULT_DELTA_H_KJ, defrostMinutes: m(90), defrostMaxTemp: -5 },
  ];
}

export const COLD = {
  site: 'bakery-main',
  zones: [
    { id: 'CHILLER', name: 'Walk-in chiller', iotZone: 'chiller', tempLow: 2, tempHigh: 8 },
    { id: 'FREEZER', name: 'Freezer', iotZone: 'freezer', tempHigh: -18 },
  ],
  bins: [
    { id: 'C-01', name: 'Chiller shelf 1 (milk)', zone: 'CHILLER' },
    { id: 'C-02', name: 'Chiller shelf 2 (cream, butter)', zone: 'CHILLER' },
    { id: 'F-01', name: 'Freezer rack 1', zone: 'FREEZER' },
  ],
  suppliers: [{ id: 'DAIRY', name: 'Laiterie du Pré' }, { id: 'FROID', name: 'Surgelés Martin' }],
  items: [
    { sku: 'MILK-1L', name: 'Whole milk 1 L', unit: 'pcs', storageProfile: 'demo-chilled', shelfLifeDays: 10, expiryAlertDays: 2, leadTimeDays: 2, safetyStock: 10, costMinor: 95, supplier: 'DAIRY', perDay: 20 },
    { sku: 'CREAM-1L', name: 'Cream 35 % 1 L', unit: 'pcs', storageProfile: 'demo-chilled', shelfLifeDays: 14, expiryAlertDays: 3, leadTimeDays: 2, safetyStock: 4, costMinor: 410, supplier: 'DAIRY', perDay: 6 },
    { sku: 'BUTTER-1KG', name: 'Butter block 1 kg', unit: 'pcs', storageProfile: 'demo-chilled', shelfLifeDays: 60, expiryAlertDays: 10, leadTimeDays: 4, safetyStock: 5, costMinor: 890, supplier: 'DAIRY', perDay: 0 },
    { sku: 'DOUGH-FZ', name: 'Croissant dough 5 kg, frozen', unit: 'pcs', storageProfile: 'demo-frozen', shelfLifeDays: 180, expiryAlertDays: 14, leadTimeDays: 7, safetyStock: 4, costMinor: 2350, supplier: 'FROID', perDay: 0 },
    { sku: 'CROISSANT-FZ', name: 'Croissants, frozen, box of 60', unit: 'box', storageProfile: 'demo-frozen', shelfLifeDays: 180, expiryAlertDays: 7, leadTimeDays: 5, safetyStock: 4, costMinor: 1890, supplier: 'FROID', perDay: 3 },
  ],
  /** stock on hand: days until expiry relative to the first start (negative = already past) */
  lots: [
    { sku: 'MILK-1L', code: 'MK-A', bin: 'C-01', qty: 18, expiresInDays: 1 },
    { sku: 'MILK-1L', code: 'MK-B', bin: 'C-01', qty: 24, expiresInDays: 6 },
    { sku: 'MILK-1L', code: 'MK-OLD', bin: 'C-01', qty: 4, expiresInDays: -1 },
    { sku: 'CREAM-1L', code: 'CR-A', bin: 'C-02', qty: 6, expiresInDays: 2 },
    { sku: 'CREAM-1L', code: 'CR-B', bin: 'C-02', qty: 24, expiresInDays: 9 },
    { sku: 'BUTTER-1KG', code: 'BU-A', bin: 'C-02', qty: 20, expiresInDays: 40 },
    { sku: 'DOUGH-FZ', code: 'DG-A', bin: 'F-01', qty: 30, expiresInDays: 75 },
    { sku: 'CROISSANT-FZ', code: 'CS-A', bin: 'F-01', qty: 8, expiresInDays: 5 },
    { sku: 'CROISSANT-FZ', code: 'CS-B', bin: 'F-01', qty: 36, expiresInDays: 150 },
  ],
  /** days of shipment history (≈ 3 months) behind the lots above */
  historyDays: 90,
} as const;

/** Fri / Sat sell more: a weekday pattern the plan's seasonal index can find (Sun … Sat) */
const WEEKDAY_FACTOR = [0.6, 0.9, 0.9, 1, 1, 1.3, 1.4];

/** a day's demand, deterministic (same history on every fresh seed): the weekday pattern ± up to 25 % */
export function historyQty(perDay: number, day: number): number {
  const wobble = 1 + 0.25 * Math.sin(day * 1.7);
  return Math.max(0, Math.round(perDay * WEEKDAY_FACTOR[new Date(day * DAY).getUTCDay()]! * wobble));
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const lotCode = (code: string, expires: string) => `${code}-${expires.slice(2).replace(/-/g, '')}`;

export interface ColdSeedResult { created: boolean; lots: number; shipments: number }

export async function seedColdStock(db: Db, o: { now: Date; timeScale: number }): Promise<ColdSeedResult> {
  for (const p of demoProfiles(o.timeScale)) await upsertProfile(db, p);
  const exists = async (sql: string, p: unknown[]) => (await db.query(sql, p)).length > 0;
  for (const z of COLD.zones) {
    if (!(await exists('SELECT 1 FROM locations WHERE id = $1', [z.id]))) await createLocation(db, { kind: 'zone', parent: COLD.site, ...z });
  }
  for (const b of COLD.bins) {
    if (!(await exists('SELECT 1 FROM locations WHERE id = $1', [b.id]))) await createLocation(db, { kind: 'bin', parent: b.zone, id: b.id, name: b.name });
  }
  for (const s of COLD.suppliers) {
    if (!(await exists('SELECT 1 FROM suppliers WHERE id = $1', [s.id]))) await createPartner(db, 'suppliers', s);
  }
  const fresh: typeof COLD.items[number][] = [];
  for (const { supplier: _s, perDay: _d, ...i } of COLD.items) {
    if (await exists('SELECT 1 FROM items WHERE sku = $1', [i.sku])) continue;
    await createItem(db, { ...i, lotTracked: true });
    fresh.push(COLD.items.find((x) => x.sku === i.sku)!);
  }
  const out: ColdSeedResult = { created: fresh.length > 0, lots: 0, shipments: 0 };
  const today = Math.floor(o.now.getTime() / DAY);
  for (const it of fresh) {
    await setSupplierPrice(db, it.supplier, { item: it.sku, priceMinor: it.costMinor, validFrom: isoDay((today - COLD.historyDays - 1) * DAY) });
    // the last three months of sales, from a lot that has been sold out since: a receipt the day
    // before the history starts, then one shipment per day (at 10:00 UTC) until yesterday
    if (it.perDay > 0) {
      const days = Array.from({ length: COLD.historyDays }, (_, k) => today - COLD.historyDays + k);
      const qty = days.map((d) => historyQty(it.perDay, d));
      const code = `${it.sku.split('-')[0]}-HIST`;
      // one lot stands for the quarter's deliveries: no dates (with a production date the shelf
      // life would expire it long before its last sale)
      if (!(await findLot(db, it.sku, code))) await createLot(db, { item: it.sku, code }, SYSTEM);
      const bin = COLD.lots.find((l) => l.sku === it.sku)!.bin;
      // one transaction for the quarter (270 commits made the first start slow on PGlite)
      out.shipments += await db.tx(async (q) => {
        await postMovementIn(q, {
          kind: 'receipt', item: it.sku, lot: code, to: bin, qty: qty.reduce((a, b) => a + b, 0), sourceType: 'document', sourceRef: 'demo history',
          at: new Date((today - COLD.historyDays - 1) * DAY + 8 * 3_600_000).toISOString(), idempotencyKey: `demo-history:${it.sku}:receipt`, note: 'demo history',
        }, SYSTEM);
        let n = 0;
        for (let k = 0; k < days.length; k++) {
          if (!qty[k]) continue;
          await postMovementIn(q, {
            kind: 'shipment', item: it.sku, lot: code, from: bin, qty: qty[k]!, sourceType: 'document', sourceRef: 'demo history',
            at: new Date(days[k]! * DAY + 10 * 3_600_000).toISOString(), idempotencyKey: `demo-history:${it.sku}:${isoDay(days[k]! * DAY)}`,
          }, SYSTEM);
          n++;
        }
        return n;
      });
    }
    for (const l of COLD.lots.filter((x) => x.sku === it.sku)) {
      const expiresOn = isoDay((today + l.expiresInDays) * DAY);
      const code = lotCode(l.code, expiresOn);
      if (!(await findLot(db, it.sku, code))) {
        await createLot(db, { item: it.sku, code, expiresOn, producedOn: isoDay(Date.parse(expiresOn) - it.shelfLifeDays * DAY) }, SYSTEM);
      }
      await postMovement(db, {
        kind: 'receipt', item: it.sku, lot: code, to: l.bin, qty: l.qty, sourceType: 'document', sourceRef: 'demo opening stock',
        at: o.now.toISOString(), idempotencyKey: `demo-cold:${it.sku}:${l.code}`, note: 'demo opening stock',
      }, SYSTEM);
      out.lots++;
    }
  }
  return out;
}
