// A big-endian bit reader over an EPC's hex, using BigInt so 38/40-bit fields never lose
// precision (Number is exact only to 2^53, and some serials and prefixes come close).

export class BitReader {
  private pos = 0;
  private readonly value: bigint;
  readonly length: number;

  constructor(hex: string) {
    this.value = hex.length ? BigInt(`0x${hex}`) : 0n;
    this.length = hex.length * 4;
  }

  /** next `n` bits as an unsigned integer */
  take(n: number): bigint {
    if (this.pos + n > this.length) throw new RangeError(`needs ${this.pos + n} bits, EPC has ${this.length}`);
    const shift = BigInt(this.length - this.pos - n);
    this.pos += n;
    return (this.value >> shift) & ((1n << BigInt(n)) - 1n);
  }

  get offset(): number {
    return this.pos;
  }
}

/** Builds a bit string MSB first, then pads to `totalBits` and returns upper-case hex. */
export class BitWriter {
  private value = 0n;
  private bits = 0;

  put(v: bigint | number, n: number): this {
    const b = BigInt(v);
    if (b < 0n || b >= 1n << BigInt(n)) throw new RangeError(`${b} does not fit in ${n} bits`);
    this.value = (this.value << BigInt(n)) | b;
    this.bits += n;
    return this;
  }

  hex(totalBits: number): string {
    const padded = this.value << BigInt(totalBits - this.bits);
    return padded.toString(16).toUpperCase().padStart(totalBits / 4, '0');
  }
}
