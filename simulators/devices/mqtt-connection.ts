import { connect, type MqttClient } from 'mqtt';
import { SpError } from '../../protocols/errors.ts';

// Each simulated device holds its own MQTT session, as a real one does, so a broker sees N
// clients and per-client features (client ids, session limits) are exercised.

export const MQTT_URL_PATTERN = /^(mqtts?|wss?|tcp):\/\//;

/**
 * Connects and waits for the first CONNACK. A broker that does not answer in `timeoutMs` is an
 * error at start (a typo in the URL should not look like a silent device); after that, mqtt.js
 * reconnects on its own like a real device would.
 */
export async function connectDevice(url: string, clientId: string, timeoutMs = 5000): Promise<MqttClient> {
  if (!MQTT_URL_PATTERN.test(url)) {
    throw new SpError('SP_ERR_VALIDATION', { field: 'mqttUrl', reason: `"${url}" must be an mqtt://, mqtts://, ws:// or wss:// URL` });
  }
  // queueQoSZero off: a real sensor with no link drops its reading; it does not burst stale
  // frames on reconnect
  const client = connect(url, { clientId, reconnectPeriod: 1000, connectTimeout: timeoutMs, clean: true, queueQoSZero: false });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      client.once('connect', () => { clearTimeout(timer); resolve(); });
      // before the first connect an error is fatal (bad credentials, TLS); later ones are retried
      client.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  } catch (e) {
    client.end(true);
    throw new SpError('SP_ERR_DEVICE', { field: 'mqttUrl', reason: `cannot connect ${clientId} to ${url}: ${e instanceof Error ? e.message : String(e)}` });
  }
  client.on('error', () => { /* reconnects on its own; a device has nobody to tell */ });
  return client;
}

export async function disconnectDevice(client: MqttClient): Promise<void> {
  await client.endAsync();
}
