import type { Db } from '../cloud/db/engine.ts';
import { createItem, createLocation, createPartner } from '../cloud/inventory/master-data.ts';
import { postMovement } from '../cloud/inventory/ledger.ts';
import { createPurchaseOrder, purchaseOrderAction } from '../cloud/inventory/documents/purchase-orders.ts';
import { SYSTEM } from '../cloud/inventory/model.ts';
import type { StockDevicesSpec } from '../simulators/stock-types.ts';

// The master data the demo's stock devices need (simulators/scenarios/bakery-stock.ts): the site,
// its dock / dry store / bakehouse and the scales' bins, the items with GTINs, a supplier, the
// opening balances that match what the scales hold, and one open purchase order for the pallet
// that will come through the dock door. Safe on every start: what exists is left alone, and a
// new PO is opened only when none is open (the last run's pallet received the previous one).

export async function seedDemoStock(db: Db, spec: StockDevicesSpec): Promise<{ purchaseOrder: number; created: boolean }> {
  const md = spec.masterData;
  const exists = async (sql: string, p: unknown[]) => (await db.query(sql, p)).length > 0;
  if (!(await exists('SELECT 1 FROM locations WHERE id = $1', [md.site.id]))) await createLocation(db, { id: md.site.id, kind: 'site', name: md.site.name });
  for (const z of md.zones) {
    if (!(await exists('SELECT 1 FROM locations WHERE id = $1', [z.id]))) await createLocation(db, { id: z.id, kind: 'zone', parent: md.site.id, name: z.name, iotZone: z.iotZone });
  }
  for (const b of md.bins) {
    if (!(await exists('SELECT 1 FROM locations WHERE id = $1', [b.id]))) await createLocation(db, { id: b.id, kind: 'bin', parent: b.zone, name: b.name });
  }
  let firstRun = false;
  for (const i of md.items) {
    if (await exists('SELECT 1 FROM items WHERE sku = $1', [i.sku])) continue;
    await createItem(db, i);
    firstRun = true;
  }
  if (!(await exists('SELECT 1 FROM suppliers WHERE id = $1', [md.supplier.id]))) await createPartner(db, 'suppliers', md.supplier);
  if (firstRun) {
    for (const o of md.opening) {
      await postMovement(db, { kind: 'receipt', item: o.sku, to: o.bin, qty: o.qty, note: 'demo opening balance', idempotencyKey: `demo-opening:${o.sku}:${o.bin}` }, SYSTEM);
    }
  }
  const [open] = await db.query<{ id: string }>(
    `SELECT id FROM documents WHERE type = 'purchase_order' AND status IN ('approved', 'partially_received')
       AND lines @> $1::jsonb ORDER BY id LIMIT 1`, [JSON.stringify([{ item: md.openPo.sku }])]);
  if (open) return { purchaseOrder: Number(open.id), created: false };
  const lot = `L${new Date().toISOString().slice(2, 10).replace(/-/g, '')}`;
  const po = await createPurchaseOrder(db, { supplier: md.supplier.id, lines: [{ item: md.openPo.sku, qty: md.openPo.qty, priceMinor: md.openPo.priceMinor, lot }] }, SYSTEM);
  await purchaseOrderAction(db, po.id, 'submit', {}, SYSTEM);
  await purchaseOrderAction(db, po.id, 'approve', {}, SYSTEM);
  return { purchaseOrder: po.id, created: true };
}
