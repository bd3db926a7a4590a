// The stock page's words (English).
export default {
  'stock.title': 'stockpulse · stock',
  'stock.heading': 'Stock and available to promise',
  'stock.explain': 'available = on hand − reserved − quarantined − expired − protected channel pools. Click an item for its lots.',
  'stock.col.item': 'item',
  'stock.col.onHand': 'on hand',
  'stock.col.reserved': 'reserved',
  'stock.col.quarantined': 'quarantined',
  'stock.col.expired': 'expired',
  'stock.col.protected': 'protected',
  'stock.col.available': 'available',
  'stock.noLot': '(no lot)',
  'stock.expires': 'expires {day}',
  'stock.noItems': 'no items yet',
  'stock.tasks': 'Tasks',
  'stock.taskLine': '{role} · {document} {id} ({status}) · {time}',
};
