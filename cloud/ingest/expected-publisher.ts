import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import { EXPECTED_DOCUMENTS_VERSION, expectedDocumentsTopic, type ExpectedDocumentWire } from '../../protocols/uplink/expected-documents.ts';
import type { Db } from '../db/engine.ts';
import { purchaseOrderRef, salesOrderRef } from './document-refs.ts';

// Cloud → edge: each gateway's open documents on its retained `…/expected` topic.
//
// Expected receipts are purchase orders that are approved or partially received (one line per
// order line: GTIN, cases ordered, cases received, the lot the supplier announced); open
// shipments are sales orders that are picked (one line per picked item and lot). A document
// with a location goes to the gateways of that location's site; one without (the usual small
// company: one site) to every gateway. Items without a GTIN, or quantities that are not whole
// cases, cannot be matched by a portal and are left out.
//
// When: at start and after the broker link comes back (retained messages may be gone with a
// restarted broker), when a gateway starts a stream (its first batch carries a manifest), and
// when documents change — polled by a cheap fingerprint every `everyMs`, which also catches
// changes made through another cloud instance. Only a list that differs from the one this
// instance published last is sent again.

export interface ExpectedPublisherOptions {
  db: Db;
  client: MqttClient;
  log: Logger;
  everyMs?: number;
}

export class ExpectedDocumentsPublisher {
  private timer: NodeJS.Timeout | undefined;
  private fingerprint = '';
  private readonly last = new Map<string, string>();
  private running: Promise<void> = Promise.resolve();
  published = 0;

  constructor(private readonly o: ExpectedPublisherOptions) {}

  start(): void {
    this.kick(true);
    this.o.client.on('connect', this.onReconnect);
    this.timer = setInterval(() => this.kick(false), this.o.everyMs ?? 1000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.o.client.off('connect', this.onReconnect);
    await this.running;
  }

  private readonly onReconnect = () => this.kick(true);

  /** called after each committed batch: a gateway (re)starting its stream gets its list again */
  onBatch(batch: UplinkBatch): void {
    if (batch.manifest) this.kick(true, batch.gateway);
    else if (batch.movements.length) this.kick(false);
  }

  /** resolves when every publish asked for so far is done */
  idle(): Promise<void> {
    return this.running;
  }

  /** serialised: one round at a time, in order */
  kick(force: boolean, gateway?: string): void {
    this.running = this.running.then(() => this.round(force, gateway)).catch((e) => {
      this.o.log.warn({ err: (e as Error).message }, 'publishing open documents failed; retrying on the next change');
    });
  }

  private async round(force: boolean, only?: string): Promise<void> {
    const [fp] = await this.o.db.query<{ f: string }>(
      `SELECT coalesce((SELECT max(updated_at)::text || count(*) FROM documents WHERE type IN ('purchase_order', 'sales_order')), '')
        || '/' || (SELECT count(*) FROM gateways) || '/' || (SELECT count(*) FROM items WHERE gtin IS NOT NULL) AS f`);
    if (!force && fp!.f === this.fingerprint) return;
    this.fingerprint = fp!.f;
    if (!this.o.client.connected) return;
    const gateways = await this.o.db.query<{ id: string; site: string }>('SELECT id, site FROM gateways ORDER BY id');
    const all = await openDocuments(this.o.db);
    for (const g of gateways) {
      if (only && g.id !== only) continue;
      const docs = all.filter((d) => d.sites === null || d.sites.includes(g.site)).map((d) => d.doc);
      const body = JSON.stringify(docs);
      if (!force && this.last.get(g.id) === body) continue;
      const msg = { v: EXPECTED_DOCUMENTS_VERSION, gateway: g.id, at: Date.now(), documents: docs };
      await this.o.client.publishAsync(expectedDocumentsTopic(g.id), JSON.stringify(msg), { qos: 1, retain: true });
      this.last.set(g.id, body);
      this.published++;
      this.o.log.debug({ gateway: g.id, documents: docs.length }, 'open documents published');
    }
  }
}

type Raw = Record<string, any>;

/** open documents as the edge sees them, each with the sites it belongs to (null = every site) */
export async function openDocuments(db: Db): Promise<{ doc: ExpectedDocumentWire; sites: string[] | null }[]> {
  const items = new Map((await db.query<{ sku: string; gtin: string | null }>('SELECT sku, gtin FROM items WHERE gtin IS NOT NULL'))
    .map((r) => [r.sku, r.gtin!.padStart(14, '0')]));
  const parents = new Map((await db.query<{ id: string; parent: string | null }>('SELECT id, parent FROM locations')).map((r) => [r.id, r.parent]));
  const siteOf = (loc: string | null): string[] | null => {
    if (!loc) return null;
    let at: string | null | undefined = loc;
    for (let i = 0; i < 10 && at; i++) { const up = parents.get(at); if (!up) return [at]; at = up; }
    return null;
  };
  const rows = await db.query<Raw>(
    `SELECT * FROM documents WHERE (type = 'purchase_order' AND status IN ('approved', 'partially_received'))
       OR (type = 'sales_order' AND status = 'picked') ORDER BY id`);
  const out: { doc: ExpectedDocumentWire; sites: string[] | null }[] = [];
  const whole = (n: number) => Number.isInteger(n) && n > 0;
  for (const r of rows) {
    const lines: ExpectedDocumentWire['lines'] = [];
    if (r.type === 'purchase_order') {
      // received is kept per item: spread it over that item's lines in order
      const left: Record<string, number> = { ...(r.data?.received ?? {}) };
      for (const l of r.lines as { item: string; qty: number; lot?: string }[]) {
        const gtin = items.get(l.item);
        const received = Math.min(l.qty, left[l.item] ?? 0);
        left[l.item] = (left[l.item] ?? 0) - received;
        if (!gtin || !whole(l.qty)) continue;
        lines.push({ gtin, sku: l.item, quantity: l.qty, received: Math.floor(received), ...(l.lot ? { lot: l.lot } : {}) });
      }
      if (lines.length) out.push({ doc: { id: purchaseOrderRef(Number(r.id)), type: 'receipt', ...(r.partner ? { partner: r.partner } : {}), lines }, sites: siteOf(r.location) });
    } else {
      const picks = (r.data?.picks ?? []) as { item: string; lot: string | null; qty: number }[];
      const shipped = (r.data?.portal?.shipped ?? []) as number[];
      const byKey = new Map<string, { item: string; lot: string | null; qty: number; done: number }>();
      picks.forEach((p, i) => {
        const k = `${p.item}|${p.lot ?? ''}`;
        const e = byKey.get(k) ?? { item: p.item, lot: p.lot, qty: 0, done: 0 };
        e.qty += p.qty; e.done += Number(shipped[i] ?? 0);
        byKey.set(k, e);
      });
      for (const e of byKey.values()) {
        const gtin = items.get(e.item);
        if (!gtin || !whole(e.qty)) continue;
        lines.push({ gtin, sku: e.item, quantity: e.qty, received: Math.floor(e.done), ...(e.lot ? { lot: e.lot } : {}) });
      }
      if (lines.length) out.push({ doc: { id: salesOrderRef(Number(r.id)), type: 'shipment', ...(r.partner ? { partner: r.partner } : {}), lines }, sites: siteOf(r.location) });
    }
  }
  return out;
}
