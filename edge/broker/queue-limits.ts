import { z } from 'zod';

// What the site's device broker may hold for the gateway, and what the site may ask of it.
//
// A broker keeps a persistent session's QoS 1 messages while its subscriber (the gateway) is away
// or slow — up to its per-client queue limit, and then it DROPS them silently, having PUBACKed
// every publisher (Mosquitto: `max_queued_messages`, default 1000, and `max_queued_bytes`; EMQX:
// `mqtt.max_mqueue_len`, default 1000; HiveMQ: `max-queued-messages` per client). The gateway
// cannot see the broker's config, so the site declares it here (`deviceBroker.queue`) with the
// load it must absorb (`deviceBroker.load`), and `stockpulse edge --check` warns when an outage
// or a burst of the declared size would overrun it. At run time the broker's own drop counter is
// watched (edge/broker/drop-watch.ts). Sizing: docs/deploy.md, "Device broker queue limits".

export const DeviceBrokerQueue = z.object({
  /** the broker's per-client queue limit in messages (Mosquitto max_queued_messages; 0 = no limit) */
  maxMessages: z.number().int().min(0),
  /** the same in bytes of payload (Mosquitto max_queued_bytes; 0 or absent = no limit) */
  maxBytes: z.number().int().min(0).optional(),
}).strict();
export type DeviceBrokerQueue = z.infer<typeof DeviceBrokerQueue>;

export const DeviceBrokerLoad = z.object({
  /** devices publishing through this broker (default: the config's MQTT devices and portals) */
  devices: z.number().int().min(1).optional(),
  /** frames each device sends per minute in normal operation */
  framesPerMinute: z.number().positive(),
  /** the longest gateway outage (update, reboot, disk swap) the broker must bridge, in minutes */
  outageMinutes: z.number().positive().default(10),
  /** the largest burst in frames (a reconnecting zigbee2mqtt republishes every device; a LoRa server flushes its queue) */
  burstFrames: z.number().int().min(0).default(0),
  /** average payload size, bytes (for maxBytes) */
  frameBytes: z.number().int().min(1).default(200),
}).strict();
export type DeviceBrokerLoad = z.infer<typeof DeviceBrokerLoad>;

/** Mosquitto's $SYS counter of messages it dropped (queue full); sys_interval must not be 0 */
export const MOSQUITTO_DROPPED_TOPIC = '$SYS/broker/publish/messages/dropped';

export const DeviceBrokerWatch = z.object({
  /** topic carrying the broker's dropped-message counter (a decimal count); false = the broker publishes none */
  droppedTopic: z.union([z.string().min(1), z.literal(false)]).default(MOSQUITTO_DROPPED_TOPIC),
  /** the broker_dropping alert clears after this long without a new drop */
  quietSec: z.number().int().min(1).default(300),
}).strict();
export type DeviceBrokerWatch = z.infer<typeof DeviceBrokerWatch>;

/** frames the broker must queue for the gateway to ride out the declared outage, and the declared burst */
export function queueDemand(load: DeviceBrokerLoad, devices: number): { outageFrames: number; burstFrames: number } {
  return { outageFrames: Math.ceil((load.devices ?? devices) * load.framesPerMinute * load.outageMinutes), burstFrames: load.burstFrames };
}

/**
 * Warnings for `stockpulse edge --check` (and the gateway's start log): each names the config
 * path and what to set. `devices` is the number of devices on the device broker.
 */
export function queueLimitWarnings(
  b: { queue?: DeviceBrokerQueue; load?: DeviceBrokerLoad }, devices: number, embedded: boolean,
): { path: string; message: string }[] {
  if (embedded || devices === 0) return []; // the embedded broker queues in memory, without a per-client cap
  const out: { path: string; message: string }[] = [];
  if (!b.queue) {
    out.push({
      path: 'deviceBroker.queue',
      message: 'the device broker\'s queue limit is not declared: Mosquitto and EMQX keep only 1000 messages per client by default and drop the rest silently while the gateway is away or slow; set max_queued_messages on the broker and declare it here (docs/deploy.md)',
    });
    return out;
  }
  if (!b.load) return out;
  const need = queueDemand(b.load, devices);
  const worst = Math.max(need.outageFrames, need.burstFrames);
  const what = need.outageFrames >= need.burstFrames
    ? `an outage of ${b.load.outageMinutes} min at ${b.load.devices ?? devices} devices × ${b.load.framesPerMinute}/min queues ${need.outageFrames} frames`
    : `a burst of ${need.burstFrames} frames`;
  if (b.queue.maxMessages > 0 && worst > b.queue.maxMessages) {
    out.push({ path: 'deviceBroker.queue.maxMessages', message: `${what}, but the broker keeps ${b.queue.maxMessages} per client and drops the rest: set max_queued_messages ≥ ${Math.ceil(worst * 1.5)} (1.5× margin)` });
  }
  const bytes = worst * b.load.frameBytes;
  if (b.queue.maxBytes && bytes > b.queue.maxBytes) {
    out.push({ path: 'deviceBroker.queue.maxBytes', message: `${what} of ~${b.load.frameBytes} bytes (${bytes} bytes), but the broker keeps ${b.queue.maxBytes} bytes per client: set max_queued_bytes ≥ ${Math.ceil(bytes * 1.5)}` });
  }
  return out;
}

/**
 * What the device link adds to a plain broker link (edge/config.schema.ts): the broker's declared
 * queue limits and the load they must hold, the drop-counter watch, and the MQTT version.
 */
export const DeviceBrokerFields = {
  queue: DeviceBrokerQueue.optional(),
  load: DeviceBrokerLoad.optional(),
  watch: DeviceBrokerWatch.optional(),
  /**
   * 4 (default): MQTT 3.1.1, spoken by every broker including the embedded aedes; the broker's
   * in-flight window (Mosquitto max_inflight_messages) bounds the frames sent ahead of PUBACKs.
   * 5: the gateway announces its own bound as Receive Maximum (Mosquitto ≥ 2, EMQX, HiveMQ).
   */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
  /** MQTT 5 Receive Maximum: QoS 1 frames the broker may send before their PUBACKs (default 1000) */
  receiveMaximum: z.number().int().min(1).max(65535).optional(),
};

