import mqtt, { type MqttClient } from 'mqtt';
import './broker/packet-id-cache.ts';
import type { Logger } from 'pino';
import { backoffDelay } from '../protocols/driver.ts';
import type { EdgeConfig } from './config.schema.ts';
import { brokerLinkTlsOptions } from './broker/from-config.ts';

// An MQTT client for one of the gateway's links (devices or uplink). mqtt.js retries at a fixed
// period; after a broker restart every gateway of a fleet would then come back in lockstep, so
// we drive reconnects ourselves with capped, jittered exponential backoff.

export interface BrokerClientStats {
  reconnects: number;
}

export interface LinkOptions {
  /**
   * false = persistent session: the broker keeps QoS 1 messages for this client while it is
   * away and resumes its subscriptions (the device link, so frames sent during a gateway
   * restart are not lost). Needs a stable client id.
   */
  clean?: boolean;
  backoff?: { baseMs: number; maxMs: number };
  /**
   * Runs synchronously before any packet is read: attach 'message' listeners here, or frames a
   * persistent session delivers right after CONNACK arrive before anyone listens.
   */
  beforeConnect?: (client: MqttClient) => void;
  /** 4 (default) or 5; with 5 a persistent session is asked never to expire, as in 3.1.1 */
  protocolVersion?: 4 | 5;
  /** MQTT 5 Receive Maximum: QoS 1 messages the broker may have unacknowledged with us */
  receiveMaximum?: number;
}

/**
 * mqtt.js logs through `debug` several times per packet; switched off, each call still allocated
 * its arguments: 0.7 KB per device frame, a tenth of the edge's garbage on the device path (heap
 * sampling, 2026-12-06). A no-op logger unless DEBUG is set (then `debug` decides, as before).
 */
const QUIET = process.env.DEBUG ? {} : { log: () => {} };

export async function connectBroker(
  b: EdgeConfig['deviceBroker'], defaultClientId: string, log: Logger, link: LinkOptions = {},
): Promise<MqttClient & { stats: BrokerClientStats }> {
  const backoff = link.backoff ?? { baseMs: 500, maxMs: 30_000 };
  const client = mqtt.connect(b.url, {
    clientId: b.clientId ?? defaultClientId,
    clean: link.clean ?? true,
    username: b.username,
    password: b.password,
    // MQTT 3.1.1 by default: spoken by every broker a site may have, including the embedded aedes.
    protocolVersion: link.protocolVersion ?? 4,
    ...(link.protocolVersion === 5 ? {
      properties: {
        ...(link.receiveMaximum ? { receiveMaximum: link.receiveMaximum } : {}),
        // MQTT 5 ends a session at disconnect unless told otherwise; 3.1.1's clean=false keeps it
        ...(link.clean === false ? { sessionExpiryInterval: 0xFFFFFFFF } : {}),
      },
    } : {}),
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    resubscribe: true,
    ...QUIET,
    ...brokerLinkTlsOptions(b), // mqtts:// with a private CA and/or a client certificate
  }) as MqttClient & { stats: BrokerClientStats };
  client.stats = { reconnects: 0 };
  link.beforeConnect?.(client);
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const scheduleReconnect = () => {
    // `disconnecting` is set by end(): a deliberate close is not a lost link.
    if (ended || client.disconnecting || timer) return;
    const delay = backoffDelay(++attempt, backoff);
    log.warn({ attempt, delayMs: delay }, 'broker link down; reconnecting');
    timer = setTimeout(() => {
      timer = undefined;
      if (ended || client.connected) return;
      client.stats.reconnects++;
      client.reconnect();
    }, delay);
  };
  client.on('connect', () => {
    // Nagle off: a PUBACK or a small batch is one short packet that must not wait for the TCP ACK
    // of the one before it (up to 40 ms with delayed ACKs: an alarm's latency, the window's pace)
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    if (attempt > 0) log.info({ attempts: attempt }, 'broker link restored');
    attempt = 0;
  });
  client.on('close', scheduleReconnect);
  client.on('error', (err) => log.warn({ err: err.message }, 'broker error'));
  client.on('end', () => {
    ended = true;
    clearTimeout(timer);
  });
  // Do not block start on a broker that is down: drivers and the outbox work without it, and
  // reconnects keep going. Wait briefly so the common case starts connected.
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    client.once('connect', () => { clearTimeout(t); resolve(); });
  });
  return client;
}
