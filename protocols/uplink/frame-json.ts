// JSON.parse of an uplink frame without making one JS string of the whole frame.
//
// Why: a JS string over 128 KB is a V8 large object (its own mapping, fresh pages). On the 2-core
// VM boxes we measure on, decoding a 179 KB frame to a string took ~790 µs against ~20 µs at
// 127 KB, and a 2 000-reading frame is ~180 KB: JSON.parse(buf.toString()) of it cost ~1.5 ms
// where the same frame parsed in 48 KB pieces costs ~0.7 ms (bench/README.md, "Frames parsed
// in pieces"). The readings array is nearly all of a frame, so it is the part cut in pieces.
//
// The cut is found by byte searches, not a tokenizer, and so may be wrong on a hostile frame;
// what makes the result trustworthy is the checks after it. The result equals JSON.parse of the
// whole frame whenever all of these hold, and otherwise the whole frame is parsed as one string:
//   - the frame has no `\u` (the only JSON escape that can spell a letter, so the key "readings"
//     has one spelling) and exactly one `"readings"`, followed at once by `:[`;
//   - the frame with that array's bytes replaced by `[]` (the skeleton) parses, and has a
//     top-level readings array: the frame's one `"readings"` is then that key, so the `[` after
//     it starts its value, outside any string;
//   - each piece between the cuts parses as a JSON array: then the pieces joined by their commas
//     are one valid array value, and the frame is the skeleton with that value in place of `[]`.

const KEY = Buffer.from('"readings"');
const KEY_OPEN = Buffer.from('"readings":[');
const BETWEEN = Buffer.from('},{"'); // between two reading objects, as the edge writes them
const LAST = Buffer.from('}]'); // the last reading object and the array's end
const UNICODE_ESCAPE = Buffer.from('\\u');

/**
 * Bytes per piece before the next cut. A piece's string stays far under the 128 KB large-object
 * size even when one non-Latin-1 character makes it two bytes per character.
 */
export const PIECE_BYTES = 48 * 1024;

/** JSON.parse of the UTF-8 frame; throws what JSON.parse throws for a frame that is not JSON */
export function parseFrameJson(frame: Buffer, pieceBytes = PIECE_BYTES): unknown {
  return inPieces(frame, pieceBytes) ?? JSON.parse(frame.toString('utf8'));
}

/** the frame parsed with its readings in pieces, or undefined when a check says parse it whole (exported for its tests) */
export function inPieces(frame: Buffer, pieceBytes: number): unknown {
  // a small frame gains nothing; neither does one the checks would refuse
  if (frame.length <= pieceBytes) return undefined;
  const key = frame.indexOf(KEY_OPEN);
  if (key === -1 || frame.indexOf(KEY, key + 1) !== -1 || frame.lastIndexOf(KEY, key - 1) !== -1) return undefined;
  if (frame.indexOf(UNICODE_ESCAPE) !== -1) return undefined;
  const open = key + KEY_OPEN.length - 1; // the array's `[`
  // the first `}]` ends the readings of an honest frame (its ids hold no `}]`); arrays after it
  // (alerts, devices) hold `},{"` too, so no cut goes past it
  const last = frame.indexOf(LAST, open);
  if (last === -1) return undefined;
  const readings: unknown[] = [];
  let from = open + 1;
  for (;;) {
    const cut = frame.indexOf(BETWEEN, from + pieceBytes);
    if (cut === -1 || cut > last) break;
    if (!appendPiece(readings, frame, from, cut + 1)) return undefined;
    from = cut + 2; // past the `},`
  }
  if (!appendPiece(readings, frame, from, last + 1)) return undefined;
  const close = last + 1; // the array's `]`
  let skeleton: unknown;
  try {
    skeleton = JSON.parse(frame.toString('utf8', 0, open + 1) + frame.toString('utf8', close));
  } catch {
    return undefined;
  }
  if (!skeleton || typeof skeleton !== 'object' || Array.isArray(skeleton)) return undefined;
  const top = skeleton as { readings?: unknown };
  if (!Array.isArray(top.readings)) return undefined; // that `"readings"` was not the top level's key
  top.readings = readings;
  return skeleton;
}

/** parses bytes [start, end) as the body of a JSON array and appends its elements; false when they are not one */
function appendPiece(out: unknown[], frame: Buffer, start: number, end: number): boolean {
  let piece: unknown[];
  try {
    piece = JSON.parse(`[${frame.toString('utf8', start, end)}]`) as unknown[];
  } catch {
    return false;
  }
  for (const r of piece) out.push(r);
  return true;
}
