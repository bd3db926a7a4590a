import type { MqttClient } from 'mqtt';

// mqtt.js emits 'message', then calls client.handleMessage(packet, done) and sends the PUBACK
// only when done is called (and handles the connection's next packet after that). The drivers
// sharing one device connection (MQTT JSON sensors, RFID readers) each hand over, per packet,
// the promise that says the frame is on disk; the one handleMessage here acknowledges it then.
// A frame that could not be kept is never acknowledged: `refuse` cuts the connection, and the
// broker delivers the frame again on the persistent session.

interface Keeping { kept: Promise<void>; refuse: (e: unknown) => void }
const byClient = new WeakMap<MqttClient, WeakMap<object, Keeping>>();

export function ackWhenKept(client: MqttClient, packet: object, kept: Promise<void>, refuse: (e: unknown) => void): void {
  let pending = byClient.get(client);
  if (!pending) {
    const map = new WeakMap<object, Keeping>();
    byClient.set(client, map);
    pending = map;
    client.handleMessage = (p, done) => {
      const k = map.get(p);
      if (!k) return done();
      map.delete(p);
      k.kept.then(() => done(), (e) => k.refuse(e));
    };
  }
  pending.set(packet, { kept, refuse });
}
