import { z } from 'zod';

// The building blocks every REST body, query and path parameter is made of: text that the
// database can store (no NUL, no control characters, no lone UTF-16 surrogates, a length cap),
// ids from one documented character set, numbers that fit the column they land in, and times
// within a sane horizon. A value outside them is a 400 SP_ERR_VALIDATION naming the field,
// never a database error (docs/inventory.md "Input limits").

/** C0 controls and DEL, except tab, LF and CR (multi-line text keeps those) */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** every C0 control and DEL: single-line text (names, references) */
const CONTROL_LINE = /[\u0000-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** why a string cannot be stored as text, or undefined when it can (multiLine: tab, LF, CR allowed) */
export function textProblem(s: string, multiLine = true): string | undefined {
  if ((multiLine ? CONTROL : CONTROL_LINE).test(s)) {
    return s.includes('\u0000') ? 'must not contain NUL characters' : `must not contain control characters${multiLine ? ' (other than tab and line breaks)' : ''}`;
  }
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (no lone surrogates)';
  return undefined;
}

const storable = (multiLine: boolean) => (s: string, ctx: z.RefinementCtx) => {
  const why = textProblem(s, multiLine);
  if (why) ctx.addIssue({ code: 'custom', message: why });
};

/** one line of free text (a name, a reference), trimmed, at most `max` characters */
export const Line = (max: number) => z.string().trim().max(max).superRefine(storable(false));
/** a non-empty Line */
export const Name = (max = 200) => z.string().trim().min(1).max(max).superRefine(storable(false));
/** free text that may span lines (a note, a reason), at most `max` characters */
export const Text = (max: number) => z.string().max(max).superRefine(storable(true));

/**
 * Ids of things people name (SKUs, locations, suppliers, customers, channels): a letter or digit,
 * then letters, digits and . _ : - — at most 64 characters. No slash, no space, nothing a URL or
 * a file path would read differently.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const Id = z.string().trim().regex(ID_PATTERN, 'letters, digits and . _ : - only (starting with a letter or digit, at most 64)');
/** lot / batch codes: the Id set plus "/" (GS1 batch numbers use it), at most 64 characters */
export const LOT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
export const LotCode = z.string().trim().regex(LOT_CODE_PATTERN, 'letters, digits and . _ : - / only (starting with a letter or digit, at most 64)');
/** idempotency keys, references chosen by callers: printable ASCII without spaces, at most 200 */
export const Key = z.string().min(1).max(200).regex(/^[\x21-\x7E]+$/, 'printable ASCII without spaces');

/**
 * A number a numeric(precision, scale) column holds: finite, |n| < 10^(precision − scale).
 * Decimals beyond the scale are rounded by the column (these are measures, not quantities).
 */
export const Numeric = (precision: number, scale: number) => {
  const limit = 10 ** (precision - scale);
  return z.number().refine((n) => Number.isFinite(n) && Math.abs(n) < limit, `must be a finite number below ${limit.toExponential(0)} in size`);
};
/** numeric(20, 6): quantities, weights, safety stock, pools */
export const Measure = Numeric(20, 6);
/** a PostgreSQL integer column */
export const Int32 = z.number().int().min(-2147483648).max(2147483647);
/** a double precision column: any finite number a person could mean (temperatures, limits) */
export const Finite = z.number().refine((n) => Number.isFinite(n) && Math.abs(n) < 1e15, 'must be a finite number below 1e15 in size');

/**
 * Quantities: positive, at most 999 999 999 999 (12 integer digits), at most 6 decimals and at
 * most 15 significant digits in all — what a JSON number (a double) carries exactly, so the
 * ledger stores the very decimal the caller sent (numeric(20,6) holds more than a double can).
 */
export const MAX_QTY = 999_999_999_999;
/** a number rounded to 6 decimals, without binary noise (exact up to 15 significant digits) */
export const round6 = (n: number): number => Number(n.toFixed(6));
/** the decimal text of a number rounded to 6 places, for a numeric parameter: 0.1 + 0.2 → "0.3", 999999999999 → "999999999999" */
export function decimalText(n: number): string {
  const s = String(round6(n));
  return /e/i.test(s) ? n.toFixed(6) : s;
}
export function qtyProblem(n: number): string | undefined {
  if (!Number.isFinite(n)) return 'must be a finite number';
  if (Math.abs(n) > MAX_QTY) return `at most ${MAX_QTY}`;
  // float noise from a client's arithmetic (0.1 + 0.2) is not a seventh decimal
  if (Math.abs(n * 1e6 - Math.round(n * 1e6)) >= 1e-3) return 'at most 6 decimals';
  if (decimalText(Math.abs(n)).replace('.', '').replace(/^0+/, '').length > 15) return 'at most 15 significant digits';
  return undefined;
}
/** a positive quantity (see qtyProblem) */
export const Qty = z.number().positive().superRefine((n, ctx) => {
  const why = qtyProblem(n);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});

/** the earliest time a stock movement may carry */
export const EARLIEST_MOVEMENT = Date.parse('2000-01-01T00:00:00Z');
/** how far ahead of the server's clock a movement may be dated (a device clock a little fast) */
export const MOVEMENT_FUTURE_MS = 86_400_000;
/** an ISO-8601 time with offset, from 2000 to one day ahead of now */
export const RecentTime = z.string().datetime({ offset: true }).superRefine((s, ctx) => {
  const t = Date.parse(s);
  if (!(t >= EARLIEST_MOVEMENT)) ctx.addIssue({ code: 'custom', message: 'must not be before 2000-01-01' });
  else if (t > Date.now() + MOVEMENT_FUTURE_MS) ctx.addIssue({ code: 'custom', message: 'must not be more than one day in the future' });
});
/** a calendar date YYYY-MM-DD that exists, between 1970 and 2199 */
export const IsoDate = z.string().regex(/^(19[7-9]\d|2[01]\d\d)-\d{2}-\d{2}$/, 'a date YYYY-MM-DD (1970–2199)')
  // an invalid date (2026-13-01, or text the regex already refused: zod runs this check too) is not a calendar date, never a thrown RangeError (a 500)
  .refine((s) => { const d = new Date(`${s}T00:00:00Z`); return Number.isFinite(d.getTime()) && d.toISOString().slice(0, 10) === s; }, 'not a calendar date');
