// How the cloud names the open documents it pushes down to gateways, and reads them back from
// the movements the edge matched to them: `po:17` (purchase order 17, an expected receipt),
// `so:12` (sales order 12, picked: an open shipment). Anything else is a document the site
// configured on its own gateway; the cloud books such movements as plain device movements.

export type DocumentRef = { type: 'purchase_order' | 'sales_order'; id: number };

export const purchaseOrderRef = (id: number): string => `po:${id}`;
export const salesOrderRef = (id: number): string => `so:${id}`;

export function parseDocumentRef(ref: string | undefined): DocumentRef | undefined {
  const m = ref ? /^(po|so):(\d+)$/.exec(ref) : null;
  if (!m) return undefined;
  return { type: m[1] === 'po' ? 'purchase_order' : 'sales_order', id: Number(m[2]) };
}
