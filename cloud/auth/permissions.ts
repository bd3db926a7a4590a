// THE permission matrix: which role may call which /api route, and which fields a role may see.
// Enforced for every route by cloud/auth/guard.ts; tests/cloud/auth/matrix.test.ts walks it route by
// route (401 without a token, 403 for every role not listed, through for every role listed).
// `admin` may do everything and is not repeated below. A route missing here is admin-only.

export const ROLES = ['admin', 'warehouse', 'purchasing', 'sales', 'finance', 'qa', 'viewer', 'device'] as const;
export type Role = (typeof ROLES)[number];

/** open without a token: load balancers' health checks */
export const PUBLIC = 'public' as const;
type Rule = readonly Role[] | typeof PUBLIC;

/** every person's role (not device credentials, which may only ingest) */
const PEOPLE: readonly Role[] = ['warehouse', 'purchasing', 'sales', 'finance', 'qa', 'viewer'];
const STOCK_WRITERS: readonly Role[] = ['warehouse'];

/** who may see purchase cost, supplier prices and order amounts on the buying side */
export const COST_ROLES: readonly Role[] = ['admin', 'purchasing', 'finance'];
export const canSeeCost = (role: string | undefined): boolean => COST_ROLES.includes(role as Role);
/** COST_ROLES as a route rule (admin is allowed everything anyway) */
const COST_PEOPLE: readonly Role[] = COST_ROLES.filter((r) => r !== 'admin');

/**
 * Document workflows: who may read, create, and take each action (state transition). The
 * routes are /api/{type}, /api/{type}/:id and /api/{type}/:id/{action}; the state machines in
 * cloud/inventory/documents/ say from which states each action is allowed.
 */
export const DOCUMENT_PERMISSIONS = {
  'purchase-orders': {
    read: ['purchasing', 'finance', 'warehouse', 'viewer'],
    create: ['purchasing'],
    actions: {
      submit: ['purchasing'],
      // amount-based levels (see purchase-orders.ts): finance always, warehouse (operations) above the threshold
      approve: ['finance', 'warehouse'],
      reject: ['finance', 'warehouse'],
      receive: ['warehouse'],
      close: ['purchasing'],
      cancel: ['purchasing'],
    },
    // a dock portal's receipt of an approved order it was offered (through the uplink, never REST)
    uplink: ['receive'],
  },
  'sales-orders': {
    read: ['sales', 'finance', 'warehouse', 'viewer'],
    create: ['sales'],
    actions: { reserve: ['sales'], pick: ['warehouse'], ship: ['warehouse'], cancel: ['sales'] },
    // a dock portal's (part) shipment of a picked order it was offered (through the uplink, never REST)
    uplink: ['ship'],
  },
  returns: {
    read: ['sales', 'warehouse', 'qa', 'finance', 'viewer'],
    create: ['sales'],
    actions: { receive: ['warehouse'], inspect: ['qa'] },
  },
  'count-sessions': {
    read: ['warehouse', 'finance', 'viewer'],
    create: ['warehouse'],
    actions: { submit: ['warehouse'], approve: ['finance'], reject: ['finance'] },
  },
} as const satisfies Record<string, { read: readonly Role[]; create: readonly Role[]; actions: Record<string, readonly Role[]>; uplink?: readonly string[] }>;
export type DocumentRoute = keyof typeof DOCUMENT_PERMISSIONS;

/**
 * May this role take this document action? The same answer the REST guard gives for
 * POST /api/{type}/:id/{action}, plus the actions a gateway (role `device`) may take through
 * the uplink (`uplink` above). The document services ask it themselves, so a path that does not
 * come through a route (MQTT ingest) is held to the same matrix.
 */
export function mayTakeAction(role: string, type: DocumentRoute, action: string): boolean {
  if (role === 'admin') return true;
  const p = DOCUMENT_PERMISSIONS[type];
  const roles = (p.actions as Record<string, readonly string[]>)[action] ?? [];
  if (roles.includes(role)) return true;
  return role === 'device' && ((p as { uplink?: readonly string[] }).uplink ?? []).includes(action);
}

const STATIC_ROUTES: Record<string, Rule> = {
  // system
  'GET /api/health': PUBLIC,
  // live updates (SSE) for the dashboard: whoever may read zones and alerts (cloud/events/)
  'GET /api/events': PEOPLE,
  // cold chain (the spine)
  'GET /api/zones': PEOPLE,
  'GET /api/sensors': PEOPLE,
  'GET /api/readings': PEOPLE,
  'GET /api/alerts': PEOPLE,
  'POST /api/alerts/:id/ack': ['warehouse', 'qa'],
  // incidents: one zone event's alerts, acknowledged once by whoever may acknowledge an alert
  'GET /api/incidents': PEOPLE,
  'GET /api/incidents/:id': PEOPLE,
  'GET /api/alerts/:id/incident': PEOPLE,
  'POST /api/incidents/:id/ack': ['warehouse', 'qa'],
  'GET /api/devices': PEOPLE,
  // stock-moving devices: dock passes, exceptions a person resolves, weighed bins vs the ledger
  'GET /api/dock-activity': PEOPLE,
  'GET /api/bin-weighings': PEOPLE,
  'GET /api/stock-exceptions': PEOPLE,
  'POST /api/stock-exceptions/:id/resolve': ['warehouse'],
  // the demo's simulator box and webhook inbox (mounted by bin/demo-stack.ts only)
  'GET /api/sim': PEOPLE,
  'POST /api/sim/faults': ['warehouse'],
  // the demo's notifier posts with the demo admin token (bin/demo-stack.ts): admin only, like every write
  'POST /api/demo/webhook-inbox': [],
  'GET /api/demo/webhook-inbox': PEOPLE,
  // master data
  'GET /api/items': PEOPLE,
  'GET /api/items/:sku': PEOPLE,
  'POST /api/items': ['purchasing'],
  'GET /api/locations': PEOPLE,
  'POST /api/locations': STOCK_WRITERS,
  'GET /api/suppliers': ['purchasing', 'finance', 'warehouse', 'viewer'],
  'POST /api/suppliers': ['purchasing'],
  'GET /api/suppliers/:id/prices': ['purchasing', 'finance'],
  'POST /api/suppliers/:id/prices': ['purchasing'],
  'GET /api/customers': ['sales', 'finance', 'warehouse', 'viewer'],
  'POST /api/customers': ['sales'],
  // edit and archive/restore: the role that creates a record keeps it (issue #14)
  'PATCH /api/items/:sku': ['purchasing'],
  'POST /api/items/:sku/archive': ['purchasing'],
  'POST /api/items/:sku/restore': ['purchasing'],
  'PATCH /api/suppliers/:id': ['purchasing'],
  'POST /api/suppliers/:id/archive': ['purchasing'],
  'POST /api/suppliers/:id/restore': ['purchasing'],
  'PATCH /api/customers/:id': ['sales'],
  'POST /api/customers/:id/archive': ['sales'],
  'POST /api/customers/:id/restore': ['sales'],
  'PATCH /api/locations/:id': STOCK_WRITERS,
  'POST /api/locations/:id/archive': STOCK_WRITERS,
  'POST /api/locations/:id/restore': STOCK_WRITERS,
  // lots
  'GET /api/lots': PEOPLE,
  'POST /api/lots': ['warehouse', 'qa'],
  'POST /api/lots/:id/status': ['qa'],
  'GET /api/lots/:id/history': PEOPLE,
  // cold-chain exposure: the lot's temperature passport; QA's decision on a quarantined lot
  'GET /api/lots/:id/exposure': PEOPLE,
  'POST /api/lots/:id/release': ['qa'],
  'POST /api/lots/:id/reject': ['qa'],
  // ledger and stock
  'GET /api/movements': ['warehouse', 'purchasing', 'finance', 'qa', 'viewer'],
  'GET /api/ledger': ['warehouse', 'purchasing', 'finance', 'qa', 'viewer'],
  'POST /api/movements': ['warehouse', 'device'],
  'GET /api/stock': PEOPLE,
  'GET /api/inventory/verify': ['finance'],
  // reservations and channel pools
  'GET /api/reservations': ['sales', 'warehouse', 'finance', 'viewer'],
  'POST /api/reservations': ['sales'],
  'POST /api/reservations/:id/commit': ['sales', 'finance'],
  'POST /api/reservations/:id/release': ['sales'],
  'PUT /api/channel-pools/:item/:channel': ['sales'],
  // who the caller is and what its role may call (the web pages offer only that)
  'GET /api/me': PEOPLE,
  // the caller's own settings (UI language)
  'GET /api/me/preferences': PEOPLE,
  'PUT /api/me/preferences': PEOPLE,
  // workflow
  'GET /api/tasks': PEOPLE,
  'GET /api/document-abilities': PEOPLE,
  'POST /api/tasks/:id/done': PEOPLE,
  // administration
  'GET /api/tokens': [],
  'POST /api/tokens': [],
  'POST /api/tokens/:id/revoke': [],
  'GET /api/audit': ['finance'],
  // the gateway registry (cloud/gateways/): who may send batches, with which credential — admin only
  'GET /api/gateways': [],
  'POST /api/gateways': [],
  'POST /api/gateways/:id/revoke': [],
  // zone limits change here (audited), never through a gateway's manifest
  'PATCH /api/zones/:id': ['qa'],
  // replenishment and analytics (cloud/planning/): supplier prices and the price trend are cost data
  'GET /api/replenishment': ['purchasing', 'finance', 'warehouse', 'viewer'],
  'PUT /api/replenishment/items/:sku': ['purchasing'],
  'GET /api/analytics/supplier-on-time': ['purchasing', 'finance', 'warehouse', 'viewer'],
  'GET /api/analytics/price-trend': ['purchasing', 'finance'],
  'GET /api/analytics/turnover': ['purchasing', 'finance', 'warehouse', 'sales', 'viewer'],
  'GET /api/analytics/sales-trend': ['sales', 'purchasing', 'finance', 'warehouse', 'viewer'],
  'GET /api/analytics/count-accuracy': ['warehouse', 'finance', 'purchasing', 'viewer'],
  // stock value, COGS, payables and receivables (cloud/inventory/valuation/): all cost data
  'GET /api/valuation': COST_PEOPLE,
  'GET /api/valuation/cogs': COST_PEOPLE,
  'GET /api/valuation/payables': COST_PEOPLE,
  'GET /api/valuation/receivables': COST_PEOPLE,
  // notifications (cloud/notify/): delivery status for every person on the dashboard; who gets
  // which alert is set by QA (cold-chain owner) and admin
  'GET /api/notifications/deliveries': PEOPLE,
  'GET /api/notify/contacts': ['qa', 'warehouse'],
  'POST /api/notify/contacts': ['qa'],
  'PUT /api/notify/contacts/:id': ['qa'],
  'DELETE /api/notify/contacts/:id': ['qa'],
  'GET /api/notify/routes': ['qa', 'warehouse'],
  'POST /api/notify/routes': ['qa'],
  'PUT /api/notify/routes/:id': ['qa'],
  'DELETE /api/notify/routes/:id': ['qa'],
  // scheduled jobs (cloud/jobs/): everyone sees their state; running one by hand is admin's
  'GET /api/jobs': PEOPLE,
  'POST /api/jobs/:name/run': [],
  // reports (cloud/reports/): every person may ask; each report is then held to the roles of the
  // API route it is built from (report.ts `source`), so the list and a file show no more than the page
  'GET /api/reports': PEOPLE,
  'GET /api/reports/:id.csv': PEOPLE,
  'GET /api/reports/:id.pdf': PEOPLE,
  // weekly report e-mails to a role: admin only
  'GET /api/report-schedules': [],
  'POST /api/report-schedules': [],
  'DELETE /api/report-schedules/:id': [],
  // purchase-order approval levels (audited): admin only
  'GET /api/approval-rules': [],
  'PUT /api/approval-rules': [],
};

function documentRoutes(): Record<string, Rule> {
  const out: Record<string, Rule> = {};
  for (const [type, p] of Object.entries(DOCUMENT_PERMISSIONS)) {
    out[`GET /api/${type}`] = p.read;
    out[`GET /api/${type}/:id`] = p.read;
    out[`POST /api/${type}`] = p.create;
    for (const [action, roles] of Object.entries(p.actions)) out[`POST /api/${type}/:id/${action}`] = roles;
  }
  return out;
}

/** "METHOD /route/:pattern" → roles allowed besides admin, or PUBLIC */
export const PERMISSIONS: Readonly<Record<string, Rule>> = Object.freeze({ ...STATIC_ROUTES, ...documentRoutes() });

export type Decision = 'public' | 'allow' | 'deny';

export function decide(role: Role | undefined, method: string, route: string): Decision {
  const rule = PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${route}`];
  if (rule === PUBLIC) return 'public';
  if (!role) return 'deny';
  if (role === 'admin') return 'allow';
  return rule?.includes(role) ? 'allow' : 'deny';
}
