import type { MqttClient } from 'mqtt';

// Pipelined acknowledgement of device frames (QoS 1), "on disk before PUBACK".
//
// mqtt.js emits 'message', then calls client.handleMessage(packet, done) and handles the
// connection's next packet only after done — and its done is what sends the PUBACK. Waiting
// there for the frame's commit meant one PUBLISH at a time per connection, so frames of one
// connection (a bridge, a LoRa server, every device behind an external broker) never shared a
// group commit: one fsync per frame. Here the PUBLISH is released at once and the PUBACK is ours:
// - handleMessage's callback is given a marker error: mqtt.js then skips its own PUBACK and goes on
//   to the next packet (publish.js: `if (err) return done(err)`; the packet pump ignores the value);
// - every QoS 1 PUBLISH takes a slot in a FIFO, in arrival order; the drivers sharing the device
//   connection (MQTT JSON sensors, RFID readers) hand over the promise that says the frame is on
//   disk (the outbox's group commit); once kept, its slot is ready;
// - ready slots at the head of the FIFO get their PUBACKs, in the order the PUBLISHes arrived
//   (MQTT 3.1.1 §4.6 and MQTT 5 §4.6 require that order for QoS 1), written in one go on the
//   connection the frames came on — never on a later one: a frame whose PUBACK did not go out
//   before its connection closed is delivered again by the broker on the persistent session;
// - a frame that could not be kept is never acknowledged: `refuse` cuts its connection, and the
//   frames behind it lose their PUBACKs with it (the broker redelivers them all);
// - at most MAX_UNACKED frames wait for their commit: past that the packet pump is paused (the
//   socket is no longer read, TCP pushes back on the broker) until PUBACKs have gone out. The
//   broker's own in-flight window (Mosquitto max_inflight_messages, EMQX max_inflight; MQTT 5
//   Receive Maximum) bounds it first in practice — docs/deploy.md says how to size it.

//
// Why this and not the alternatives (measured 2026-12-05 on the shared 2-core box, load ~14,
// Mosquitto 2.0.11, one bridge publisher, 10 000 QoS 1 frames, fsync full, same outbox):
//   one connection, PUBACK holds the next PUBLISH (before)   242 frames/s, 1 commit per frame
//   8 connections on a shared subscription, same holding    1 584/s, 8 frames per commit — the
//     group is capped by the number of connections, needs MQTT 5 or broker support and 8
//     sessions, and a shared subscription does not keep one topic's order across members;
//   one connection, pipelined (this file)                   7 790/s = the publisher's own pace,
//     ~116 frames per commit, one topic's order kept.
// An MQTT client of our own on mqtt-packet would read packets the same way but re-implement
// reconnects, TLS and subscriptions.

/** frames waiting for their commit before the connection stops being read */
export const MAX_UNACKED = 2000;

/** passed to handleMessage's callback: mqtt.js sends no PUBACK for that packet (we do) */
const OURS = Object.freeze(new Error('PUBACK sent by edge/devices/deferred-ack.ts after the commit'));

type Stream = MqttClient['stream'];
/** what a driver does with a frame that could not be kept: it is given the connection the frame came on */
export type Refuse = (e: unknown, stream: Stream) => void;
interface Slot { messageId: number; stream: Stream; ready: boolean }
/** the frames waiting on one commit (a group commit keeps many frames with one promise) */
interface Waiting { kept: Promise<void>; slots: Slot[]; refuse: Refuse[] }

export interface AckPipelineStats {
  /** QoS 1 frames acknowledged after their commit */
  acked: number;
  /** PUBACK writes: each carries every frame whose commit had completed (far fewer than frames when commits group) */
  writes: number;
  /** frames dropped unacknowledged because their connection closed first (the broker redelivers them) */
  abandoned: number;
  /** times the packet pump was paused at MAX_UNACKED */
  paused: number;
  /** most frames received and not yet acknowledged at once (bounded by the broker's window or our Receive Maximum) */
  peakUnacked: number;
}

class AckPipeline {
  /**
   * The claim for the packet being handled: mqtt.js emits 'message' (where a driver claims the
   * packet) and calls handleMessage for that same packet right after, synchronously, so one
   * place is enough (a WeakMap entry per frame was measurable garbage at tens of thousands of
   * frames a second). A claim for another packet is never used.
   */
  private claimed: { packet: object | undefined; kept: Promise<void> | undefined; refuse: Refuse | undefined } = { packet: undefined, kept: undefined, refuse: undefined };
  private waiting: Waiting | undefined;
  readonly stats: AckPipelineStats = { acked: 0, writes: 0, abandoned: 0, paused: 0, peakUnacked: 0 };
  private queue: Slot[] = [];
  private head = 0;
  private flushQueued = false;
  /** the packet pump paused at MAX_UNACKED, and the connection it reads */
  private held: { done: () => void; stream: Stream } | undefined;

  constructor(private readonly client: MqttClient, private readonly maxUnacked: number) {
    client.handleMessage = (p, done) => this.onPublish(p as Parameters<MqttClient['handleMessage']>[0] & { qos?: number; messageId?: number }, done);
  }

  claim(packet: object, kept: Promise<void>, refuse: Refuse): void {
    this.claimed.packet = packet;
    this.claimed.kept = kept;
    this.claimed.refuse = refuse;
  }

  private onPublish(packet: { qos?: number; messageId?: number }, done: (err?: Error) => void): void {
    const c = this.claimed;
    const claimed = c.packet === packet;
    const kept = claimed ? c.kept : undefined;
    const refuse = claimed ? c.refuse : undefined;
    c.packet = c.kept = c.refuse = undefined;
    const stream = this.client.stream;
    // QoS 0 needs no PUBACK; QoS 2 keeps mqtt.js's own PUBREC/PUBREL handshake (no device uses it)
    if (packet.qos !== 1 || packet.messageId === undefined) {
      if (!kept || !refuse) return done();
      kept.then(() => done(), (e) => refuse(e, stream));
      return;
    }
    const slot: Slot = { messageId: packet.messageId, stream, ready: !kept };
    this.queue.push(slot);
    if (kept && refuse) this.whenKept(kept, refuse, slot);
    else this.scheduleFlush(); // a frame no driver claimed (not ours to keep) is acknowledged in its turn
    const unacked = this.queue.length - this.head;
    if (unacked > this.stats.peakUnacked) this.stats.peakUnacked = unacked;
    if (unacked >= this.maxUnacked) {
      this.stats.paused++;
      this.held = { done: () => done(OURS), stream: this.client.stream };
    } else {
      done(OURS);
    }
  }

  /** one reaction per commit, not per frame: the frames of a group commit share its promise */
  private whenKept(kept: Promise<void>, refuse: Refuse, slot: Slot): void {
    let w = this.waiting;
    if (!w || w.kept !== kept) {
      const mine: Waiting = { kept, slots: [], refuse: [] };
      w = this.waiting = mine;
      kept.then(() => {
        if (this.waiting === mine) this.waiting = undefined;
        for (const s of mine.slots) s.ready = true;
        this.scheduleFlush();
      }, (e) => {
        if (this.waiting === mine) this.waiting = undefined;
        mine.slots.forEach((s, i) => mine.refuse[i]!(e, s.stream));
      });
    }
    w.slots.push(slot);
    w.refuse.push(refuse);
  }

  /** after the commit's promises have all settled (one microtask later), so one write carries the whole group */
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const current = this.client.stream;
    const acks: number[] = [];
    let stream: Stream | undefined;
    while (this.head < this.queue.length) {
      const s = this.queue[this.head]!;
      if (s.stream !== current || s.stream.destroyed) {
        // its connection is gone (or was cut for a refused frame): no PUBACK, ever; the broker redelivers
        this.stats.abandoned++;
      } else if (!s.ready) {
        break; // PUBACKs go in arrival order: the frames behind this one wait for it
      } else {
        if (stream && stream !== s.stream) { this.write(stream, acks); acks.length = 0; }
        stream = s.stream;
        acks.push(s.messageId);
      }
      this.head++;
    }
    if (stream && acks.length) this.write(stream, acks);
    if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
    if (this.held && (this.held.stream.destroyed || this.held.stream !== current)) {
      // a cut connection's pump stays stopped: the packets it still holds would be kept after
      // the refused frame that cut it (out of order); the broker redelivers them all in order
      this.held = undefined;
    } else if (this.held && this.queue.length - this.head < this.maxUnacked) {
      const { done } = this.held;
      this.held = undefined;
      done();
    }
  }

  /** PUBACKs, 4 bytes each (fixed header 0x40, remaining length 2, packet id; MQTT 5 omits reason 0x00 = success) */
  private write(stream: Stream, ids: readonly number[]): void {
    const buf = Buffer.allocUnsafe(ids.length * 4);
    ids.forEach((id, i) => {
      buf[i * 4] = 0x40;
      buf[i * 4 + 1] = 2;
      buf.writeUInt16BE(id, i * 4 + 2);
    });
    stream.write(buf);
    this.stats.acked += ids.length;
    this.stats.writes++;
  }
}

const byClient = new WeakMap<MqttClient, AckPipeline>();

function pipelineOf(client: MqttClient, maxUnacked = MAX_UNACKED): AckPipeline {
  let p = byClient.get(client);
  if (!p) {
    p = new AckPipeline(client, maxUnacked);
    byClient.set(client, p);
  }
  return p;
}

/**
 * Installs the pipeline on a device connection before it reads its first packet (so QoS 1
 * frames nobody claims are acknowledged in order with the others). Idempotent. `maxUnacked`:
 * the connection stops being read at this many frames waiting (MQTT 5: the Receive Maximum we
 * announced — enforced here too, since Mosquitto 2.0.11 was measured letting ~600 through to a
 * client announcing 64 once PUBACKs flowed).
 */
export function pipelineAcks(client: MqttClient, maxUnacked = MAX_UNACKED): AckPipelineStats {
  return pipelineOf(client, maxUnacked).stats;
}

/**
 * Called from a 'message' listener: the frame is acknowledged once `kept` resolves; `refuse` runs
 * with the frame's connection if it rejects (pass one function per driver, not one per frame).
 */
export function ackWhenKept(client: MqttClient, packet: object, kept: Promise<void>, refuse: Refuse): void {
  pipelineOf(client).claim(packet, kept, refuse);
}
