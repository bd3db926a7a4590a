import { decodeEpc, type DecodedEpc } from '../../protocols/epc/decode.ts';
import type { AlertEvent, MovementEvent } from '../../protocols/uplink/contract.ts';
import type { ExpectedDocument } from './expected-documents.ts';
import type { Pass } from './pass-tracker.ts';
import type { PortalConfig } from './portal-config.ts';

// A closed pass → receipt/shipment movements matched to an open document, or an exception.
//
// Matching: the pass's trade items (SGTIN EPCs, counted one per distinct EPC, grouped by GTIN)
// must all be lines of one open document of the right type (in → receipt, out → shipment) with
// enough quantity left; the oldest such document wins. The movement carries that line's lot.
// Pallet labels (SSCC) and returnable assets (GRAI) ride along as evidence; EPCs that do not
// decode are kept in the evidence as raw hex.
//
// No match: in → `unexpected_receipt` (a person decides what arrived), out → `unauthorised_removal`
// (goods left without a document — the case the article calls "staff taking goods privately").
// Neither books anything: the ledger only moves on a document. Each is raised once per pass (a
// one-shot exception for a person, not a condition that clears by itself).

export type PortalOutput =
  | { type: 'pass'; pass: Pass }
  | { type: 'movement'; movement: MovementEvent }
  | { type: 'alert'; alert: AlertEvent };

interface OpenDocument {
  doc: ExpectedDocument;
  /** per line index: cases already booked against it */
  done: number[];
}

/** how many EPCs an alert message lists before "… and N more" */
const MESSAGE_EPCS = 50;

export class DocumentMatcher {
  private docs: OpenDocument[] = [];

  constructor(private readonly gatewayId: string) {}

  /**
   * Replaces the open documents (config at start, then what the cloud pushes). Progress on
   * documents that stay is kept: a line counts as done up to the larger of what this gateway
   * booked (possibly not yet acknowledged by the cloud) and what the cloud says it received.
   */
  setExpected(docs: readonly ExpectedDocument[]): void {
    const prev = new Map(this.docs.map((d) => [d.doc.id, d]));
    this.docs = docs.map((doc) => {
      const p = prev.get(doc.id);
      return { doc, done: doc.lines.map((l, i) => Math.max(p && p.doc.lines.length === doc.lines.length ? p.done[i] ?? 0 : 0, l.received ?? 0)) };
    });
  }

  /** open documents with what is left on each line */
  expected(): { id: string; type: ExpectedDocument['type']; lines: { gtin: string; lot?: string; remaining: number }[] }[] {
    return this.docs.filter((d) => !this.complete(d)).map((d) => ({
      id: d.doc.id, type: d.doc.type,
      lines: d.doc.lines.map((l, i) => ({ gtin: l.gtin, ...(l.lot ? { lot: l.lot } : {}), remaining: l.quantity - d.done[i]! })),
    }));
  }

  private complete(d: OpenDocument): boolean {
    return d.doc.lines.every((l, i) => d.done[i]! >= l.quantity);
  }

  match(pass: Pass, portal: PortalConfig): PortalOutput[] {
    const out: PortalOutput[] = [{ type: 'pass', pass }];
    if (pass.tags.length === 0 || pass.direction === 'unknown') return out;
    const decoded = pass.tags.map((t) => decodeEpc(t.epc));
    const byGtin = new Map<string, string[]>();
    const other: DecodedEpc[] = [];
    decoded.forEach((d) => {
      if (d.scheme === 'sgtin-96' || d.scheme === 'sgtin-198') {
        const list = byGtin.get(d.gtin) ?? [];
        list.push(d.hex);
        byGtin.set(d.gtin, list);
      } else other.push(d);
    });
    const evidenceBase = {
      pass: pass.id, portal: pass.portal, direction: pass.direction, startedAt: pass.startedAt, endedAt: pass.endedAt,
      ...(other.length ? { otherEpcs: other.map((d) => (d.scheme === 'raw' ? { hex: d.hex, reason: d.reason } : { hex: d.hex, uri: d.pureIdentityUri })) } : {}),
    };
    if (byGtin.size === 0) return out; // only pallet labels / assets / foreign tags: nothing to book

    const type = pass.direction === 'in' ? 'receipt' : 'shipment';
    const candidate = this.docs.find((d) => d.doc.type === type && (!d.doc.portal || d.doc.portal === portal.id) && !this.complete(d)
      && [...byGtin].every(([gtin, epcs]) => d.doc.lines.some((l, i) => l.gtin === gtin && l.quantity - d.done[i]! >= epcs.length)));
    if (!candidate) {
      const epcs = pass.tags.map((t) => t.epc);
      const rule = type === 'receipt' ? 'unexpected_receipt' : 'unauthorised_removal';
      const listed = epcs.slice(0, MESSAGE_EPCS).join(', ') + (epcs.length > MESSAGE_EPCS ? ` … and ${epcs.length - MESSAGE_EPCS} more` : '');
      const what = [...byGtin].map(([g, e]) => `${e.length} × GTIN ${g}`).join(', ');
      out.push({
        type: 'alert',
        alert: {
          id: `${this.gatewayId}:${pass.id}:${rule}`, transition: 'raised', rule, zone: portal.zone, sensor: portal.id,
          severity: rule === 'unauthorised_removal' ? 'critical' : 'warning',
          ts: pass.endedAt, since: pass.startedAt, value: pass.tags.length,
          message: rule === 'unauthorised_removal'
            ? `${what} left through ${portal.id} with no open shipment; EPCs: ${listed}`
            : `${what} arrived through ${portal.id} with no expected receipt; EPCs: ${listed}`,
        },
      });
      return out;
    }
    for (const [gtin, epcs] of byGtin) {
      const i = candidate.doc.lines.findIndex((l, j) => l.gtin === gtin && l.quantity - candidate.done[j]! >= epcs.length);
      const line = candidate.doc.lines[i]!;
      candidate.done[i]! += epcs.length;
      out.push({
        type: 'movement',
        movement: {
          // the pass id is derived from its reads, so a replayed pass books nothing twice
          id: `${this.gatewayId}:${pass.id}:${gtin}`,
          type, ts: pass.endedAt, item: { gtin, ...(line.sku ? { sku: line.sku } : {}) }, quantity: epcs.length, unit: 'pcs',
          location: { zone: portal.zone, ...(portal.bin ? { bin: portal.bin } : {}) },
          ...(line.lot ? { lot: line.lot } : {}), document: candidate.doc.id,
          source: { device: portal.id, kind: 'rfid' },
          evidence: { ...evidenceBase, epcs: epcs.sort() },
        },
      });
    }
    return out;
  }
}
