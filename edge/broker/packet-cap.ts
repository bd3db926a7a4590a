// The size cap of the embedded broker. aedes (through mqtt-packet) buffers a whole packet before
// it looks at it, whatever length its fixed header announces — up to 256 MB — so one device
// could grow the gateway by hundreds of MB with one PUBLISH. This scanner follows the packet
// boundaries of a connection's byte stream (fixed header: one type byte, then the remaining
// length as a 1–4 byte varint) and reports the first packet that announces more than the cap,
// so the connection is cut when the header arrives, before the body is buffered.

/** default cap on one MQTT packet: above the cloud's 4 MiB uplink batch cap, which the demo's cloud link carries through this broker */
export const DEFAULT_MAX_PACKET_BYTES = 5 * 1024 * 1024;

export class PacketSizeScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxBytes: number) {}

  /** feeds the next bytes; returns the announced size of a packet over the cap (Infinity for a malformed length), else undefined */
  push(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      if (this.state === 'type') {
        i++;
        Object.assign(this, { state: 'length', length: 0, multiplier: 1, lengthBytes: 0 });
        continue;
      }
      const b = chunk[i++]!;
      this.length += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (b & 0x80) {
        if (this.lengthBytes >= 4) return Infinity;
        continue;
      }
      if (this.length > this.maxBytes) return this.length;
      this.remaining = this.length;
      this.state = this.remaining > 0 ? 'body' : 'type';
    }
    return undefined;
  }
}
