import { Transform, type TransformCallback } from 'node:stream';

// Line framing with a cap: @serialport/parser-readline keeps every byte until a newline comes, so
// an instrument (or a wrong baud rate) streaming without line breaks grows the gateway without
// limit. This splitter keeps at most maxLineBytes of an unfinished line; beyond that the line is
// dropped up to its newline and reported once (its size), and the lines after it flow on.

/** default cap of one serial line: MT-SICS and continuous-output lines are under 100 bytes */
export const DEFAULT_MAX_LINE_BYTES = 4096;

export class BoundedLineParser extends Transform {
  private parts: Buffer[] = [];
  private held = 0;
  /** bytes of the line being skipped (over the cap), 0 when not skipping */
  private skipped = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES, private readonly onOversized?: (bytes: number) => void) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.keep(chunk.subarray(start, nl));
      if (this.skipped) this.onOversized?.(this.skipped);
      else this.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      this.held = 0;
      this.skipped = 0;
      start = nl + 1;
    }
    this.keep(chunk.subarray(start));
    done();
  }

  private keep(bytes: Buffer): void {
    if (!bytes.length) return;
    if (this.skipped) {
      this.skipped += bytes.length;
      return;
    }
    if (this.held + bytes.length > this.maxLineBytes) {
      this.skipped = this.held + bytes.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    this.parts.push(bytes);
    this.held += bytes.length;
  }
}
