import { z } from 'zod';
import { Reading } from '../reading.ts';

// The edge↔cloud contract. Edge and cloud never import each other; both import this.
//
// Delivery: the edge sends batches in order on one stream; each batch carries a gap-free
// sequence number. The cloud commits a batch in one transaction and only then acks it, so an
// ack means "durable". Several batches may be in flight (the edge's seq window): the cloud
// decides a known stream's batches strictly in seq order — one that arrives before its
// predecessor was decided is answered `gap` with the seq it expects, and the edge goes back to
// that seq (go-back-N). So an ack of seq n also says every seq below n was decided (cumulative). (gateway, stream, seq) is the idempotency key: a batch delivered twice
// is committed once and acked as a duplicate the second time. A stream id is minted by the
// edge's outbox; a durable outbox keeps it across restarts, an in-memory one mints a new one
// per process (so its sequence restarting at 1 is not mistaken for a replay).

export const PROTOCOL_VERSION = 1;

export const TemperatureProfile = z.object({
  /** lowest acceptable °C; a reading at or below it is an excursion */
  low: z.number().optional(),
  /** highest acceptable °C; a reading at or above it is an excursion */
  high: z.number().optional(),
});
export type TemperatureProfile = z.infer<typeof TemperatureProfile>;

export const ManifestZone = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  profile: TemperatureProfile,
  /** rule parameters, shown to operators so they know why an alarm fired (seconds) */
  delaySec: z.number().nonnegative(),
  hysteresis: z.number().nonnegative(),
});

export const ManifestSensor = z.object({
  id: z.string().min(1),
  zone: z.string().min(1),
  kind: z.string().min(1),
  unit: z.string(),
  protocol: z.string(),
  name: z.string().optional(),
});

export const ManifestDevice = z.object({
  id: z.string().min(1),
  protocol: z.string(),
  name: z.string().optional(),
  /** expected reporting interval (s); silence for 3× this is "offline" */
  heartbeatSec: z.number().positive(),
  sensors: z.array(z.string()),
});

/** What a gateway watches: sent in the first batch of a stream and whenever the config changes. */
export const GatewayManifest = z.object({
  site: z.string().min(1),
  zones: z.array(ManifestZone),
  sensors: z.array(ManifestSensor),
  devices: z.array(ManifestDevice).default([]),
});
export type GatewayManifest = z.infer<typeof GatewayManifest>;

export const ALERT_RULES = [
  'high', 'low', 'cumulative', 'door_open', 'device_offline', 'sensor_fault', 'unauthorised_removal', 'unexpected_receipt', 'count_drift', 'low_stock',
  'uplink_stalled', // a stream that stopped advancing (edge/uplink/stall.ts, cloud/ingest/stream-progress.ts)
  'high_warning', 'low_warning', 'defrost', 'defrost_overrun', 'missed_defrost', // cold-chain rules (docs/cold-chain-rules.md)
  'broker_dropping', // the site broker's own drop counter rose (edge/broker/drop-watch.ts)
  'gateway_refused', // a gateway spoke for what it does not own, or is unknown (cloud/ingest/gateway-policy.ts)
] as const;
export const AlertRule = z.enum(ALERT_RULES);
export type AlertRule = z.infer<typeof AlertRule>;

/** One transition of an alert: raised once, cleared once, both carrying the same id. */
export const AlertEvent = z.object({
  id: z.string().min(1),
  transition: z.enum(['raised', 'cleared']),
  rule: AlertRule,
  zone: z.string().min(1),
  sensor: z.string().optional(),
  severity: z.enum(['info', 'warning', 'critical']),
  /** epoch ms of the transition (event time, not send time) */
  ts: z.number().int().nonnegative(),
  /** epoch ms when the condition began (first out-of-range reading) */
  since: z.number().int().nonnegative(),
  /** the value that completed the transition (°C, or seconds for cumulative/door rules) */
  value: z.number().finite().optional(),
  threshold: z.number().finite().optional(),
  message: z.string(),
});
export type AlertEvent = z.infer<typeof AlertEvent>;

/** A change of a device's health as the gateway sees it (sent on change, not on every reading). */
export const DeviceStatusEvent = z.object({
  device: z.string().min(1),
  ts: z.number().int().nonnegative(),
  state: z.enum(['online', 'offline', 'failed']),
  /** epoch ms of the last frame or successful poll */
  lastSeen: z.number().int().nonnegative().optional(),
  /** % when the device reports it */
  battery: z.number().finite().optional(),
  /** dBm (or the device's own link-quality figure) when it reports it */
  signal: z.number().finite().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type DeviceStatusEvent = z.infer<typeof DeviceStatusEvent>;

/**
 * A stock movement observed by a device (an RFID portal pass, a scale's stable change). The
 * edge proposes it; the cloud posts it to the ledger with `id` as the idempotency key, matched
 * to `document` when the edge found the open document it belongs to.
 */
export const MovementEvent = z.object({
  id: z.string().min(1),
  type: z.enum(['receipt', 'shipment', 'consumption', 'refill', 'count']),
  /** epoch ms when the goods moved (end of the pass, moment the scale settled) */
  ts: z.number().int().nonnegative(),
  item: z.object({ gtin: z.string().optional(), sku: z.string().optional() }).refine((i) => i.gtin || i.sku, 'gtin or sku required'),
  quantity: z.number().finite().positive(),
  unit: z.string().default('pcs'),
  location: z.object({ zone: z.string().min(1), bin: z.string().optional() }),
  lot: z.string().optional(),
  /** open document matched on the edge (PO / ASN / shipment id) */
  document: z.string().optional(),
  source: z.object({ device: z.string().min(1), kind: z.enum(['rfid', 'scale', 'manual']) }),
  /** what the device saw: EPCs of a pass, gross/tare/net/piece weight of a weighing */
  evidence: z.record(z.string(), z.unknown()).default({}),
});
export type MovementEvent = z.infer<typeof MovementEvent>;

export const UplinkBatch = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gateway: z.string().min(1),
  stream: z.string().min(1),
  seq: z.number().int().positive(),
  sentAt: z.number().int().nonnegative(),
  manifest: GatewayManifest.optional(),
  readings: z.array(Reading),
  alerts: z.array(AlertEvent),
  devices: z.array(DeviceStatusEvent).default([]),
  movements: z.array(MovementEvent).default([]),
});
export type UplinkBatch = z.infer<typeof UplinkBatch>;
/** what a sender may write: defaults (devices, quality) may be left out */
export type UplinkBatchInput = z.input<typeof UplinkBatch>;

export const UplinkAck = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gateway: z.string(),
  stream: z.string(),
  seq: z.number().int().positive(),
  /**
   * committed: written now; duplicate: written before, nothing changed; rejected: will never be
   * written; gap: not looked at, because seq `expected` (< seq) has not been decided yet — resend from it
   */
  status: z.enum(['committed', 'duplicate', 'rejected', 'gap']),
  expected: z.number().int().positive().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** items of the batch the cloud could not store (kept in its dead_letters); the others were committed */
  rejectedItems: z.number().int().nonnegative().optional(),
});
export type UplinkAck = z.infer<typeof UplinkAck>;

export const topics = {
  batch: (gateway: string) => `stockpulse/v1/gw/${gateway}/batch`,
  ack: (gateway: string) => `stockpulse/v1/gw/${gateway}/ack`,
  /** what the cloud subscribes to; with `share` set it joins an MQTT 5 shared subscription group */
  batchSubscription: (share?: string) => (share ? `$share/${share}/` : '') + 'stockpulse/v1/gw/+/batch',
  alert: (zone: string) => `stockpulse/v1/alerts/${zone}`,
  gatewayFromBatchTopic: (topic: string): string | undefined => /^stockpulse\/v1\/gw\/([^/]+)\/batch$/.exec(topic)?.[1],
} as const;
