import { SpError } from '../../protocols/errors.ts';
import type { UplinkBatch } from '../../protocols/uplink/contract.ts';

// Readings rows in PostgreSQL's binary COPY format, for copy-readings.ts. Binary, not text: in
// text the cloud wrote every timestamp as ISO 8601 and every value as a decimal, and PostgreSQL
// parsed both back; the device path's readings each carry their own timestamp, so that was paid
// per row on both sides (bench/README.md "Binary COPY" has the figures).
//
// The format (PostgreSQL 15 docs, COPY, "Binary Format"): the 11-byte signature, an int32 of
// flags (0) and an int32 header-extension length (0); per row an int16 field count, then per
// field an int32 byte length and the bytes, all integers big-endian; an int16 -1 ends the data.
// The columns are COPY_COLUMNS in order:
//   ts       timestamptz: int64 microseconds since 2000-01-01 00:00:00 UTC
//   gateway, sensor, zone, kind   text: the UTF-8 bytes (the server checks the encoding and refuses
//            a NUL byte, as it does in text COPY; the contract keeps both out before this)
//   value    float8: IEEE 754, big-endian
//   quality  text

export const COPY_COLUMNS = '(ts, gateway, sensor, zone, kind, value, quality)';

const SIGNATURE = Uint8Array.of(0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00); // PGCOPY\n\377\r\n\0
const HEADER_BYTES = SIGNATURE.length + 8;
const FIELDS = 7;
/** a row's bytes besides its text fields: count, ts (length + 8), value (length + 8), quality's length */
const FIXED_ROW_BYTES = 2 + 12 + 12;
/** PostgreSQL's timestamp epoch, 2000-01-01T00:00:00Z, in Unix ms */
export const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 2 ** 32;

type Rows = readonly Pick<UplinkBatch, 'gateway' | 'readings'>[];

/**
 * The readings of `batches` as one binary COPY stream (signature to trailer), each sensor's zone
 * taken from `zones` ('unassigned' when it has none).
 */
export function copyBinary(batches: Rows, zones: ReadonlyMap<string, string>): Uint8Array {
  // First pass: each reading's text fields as bytes and the stream's exact size, so the buffer is
  // made once (growing a 2 000-row stream by doubling cost a second allocation and a copy of it).
  const quality = new Map<string, Uint8Array>();
  const heads: Uint8Array[][] = [];
  const qualities: Uint8Array[][] = [];
  let size = HEADER_BYTES + 2;
  for (const b of batches) {
    // gateway, sensor, zone and kind, each with its length, are the same bytes for every reading
    // of a sensor: made once per sensor and copied whole
    const head = new Map<string, { kind: string; bytes: Uint8Array }>();
    const hs = new Array<Uint8Array>(b.readings.length);
    const qs = new Array<Uint8Array>(b.readings.length);
    for (let i = 0; i < b.readings.length; i++) {
      const r = b.readings[i]!;
      let h = head.get(r.sensor);
      if (h === undefined || h.kind !== r.kind) {
        const fresh = { kind: r.kind, bytes: lengthPrefixed([b.gateway, r.sensor, zones.get(r.sensor) ?? 'unassigned', r.kind]) };
        // a sensor reporting two kinds in one batch (the contract allows it) stays correct: the
        // first kind keeps the cache, the other is made per reading
        if (h === undefined) head.set(r.sensor, fresh);
        h = fresh;
      }
      let q = quality.get(r.quality);
      if (q === undefined) quality.set(r.quality, (q = lengthPrefixed([r.quality])));
      hs[i] = h.bytes;
      qs[i] = q;
      size += FIXED_ROW_BYTES + h.bytes.length + q.length;
    }
    heads.push(hs);
    qualities.push(qs);
  }
  const w = new Writer(size);
  w.bytes(SIGNATURE);
  w.i32(0);
  w.i32(0);
  batches.forEach((b, n) => {
    const hs = heads[n]!, qs = qualities[n]!;
    for (let i = 0; i < b.readings.length; i++) {
      const r = b.readings[i]!;
      w.i16(FIELDS);
      w.i32(8);
      w.timestamp(r.ts);
      w.bytes(hs[i]!);
      w.i32(8);
      w.f64(r.value);
      w.bytes(qs[i]!);
    }
  });
  w.i16(-1);
  return w.done();
}

/** the int64 microseconds since PG_EPOCH_MS of Unix ms `ts` (a safe integer), as its high and low 32 bits */
export function pgMicros(ts: number): { hi: number; lo: number } {
  // exact for every safe integer: the µs themselves pass 2^53 after year 2285 (MAX_TS is 9999),
  // so the ms are split in 32-bit halves first and only the low half is multiplied in one piece
  const ms = ts - PG_EPOCH_MS;
  const msHi = Math.floor(ms / TWO_32);
  const lowUs = (ms - msHi * TWO_32) * 1000; // < 2^42: exact
  const carry = Math.floor(lowUs / TWO_32);
  return { hi: msHi * 1000 + carry, lo: lowUs - carry * TWO_32 };
}

/** each string as an int32 byte length and its UTF-8 bytes */
function lengthPrefixed(strings: readonly string[]): Uint8Array {
  const encoded = strings.map((s) => Buffer.from(s, 'utf8'));
  const out = new Writer(encoded.reduce((n, e) => n + 4 + e.length, 0));
  for (const e of encoded) { out.i32(e.length); out.bytes(e); }
  return out.done();
}

/** a big-endian byte buffer of a size known in advance; the writes do not check */
class Writer {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  i16(v: number): void { this.view.setInt16(this.at, v); this.at += 2; }
  i32(v: number): void { this.view.setInt32(this.at, v); this.at += 4; }
  f64(v: number): void { this.view.setFloat64(this.at, v); this.at += 8; }

  timestamp(ts: number): void {
    const { hi, lo } = pgMicros(ts);
    this.view.setInt32(this.at, hi);
    this.view.setUint32(this.at + 4, lo);
    this.at += 8;
  }

  bytes(b: Uint8Array): void {
    // the per-row pieces are a few dozen bytes: a loop beats set()'s call into C++
    if (b.length > 64) this.buf.set(b, this.at);
    else for (let i = 0; i < b.length; i++) this.buf[this.at + i] = b[i]!;
    this.at += b.length;
  }

  /** the bytes, which must fill the size exactly: a size reckoned wrong would lose bytes silently */
  done(): Uint8Array {
    if (this.at !== this.buf.length) throw new SpError('SP_ERR_INTERNAL', { field: 'copy', reason: `the binary COPY stream filled ${this.at} of the ${this.buf.length} bytes reckoned` });
    return this.buf;
  }
}
