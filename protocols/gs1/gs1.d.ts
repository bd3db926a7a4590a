// Types for gs1.js (plain JS so the browser runs the same parser; see the header there).
export declare const GS: string;
export declare class GS1Error extends Error {
  readonly code: 'SP_ERR_DECODE';
  readonly details: { field: string; reason: string }[];
  constructor(field: string, reason: string);
}
export declare function checkDigit(body: string): number;
export declare function toGtin14(digits: string, field?: string): string;
export declare function gs1Date(v: string, field?: string, today?: Date): string;
export declare function splitElementString(s: string): { ai: string; raw: string }[];
export interface Gs1Scan {
  source: string; gtin?: string; contentGtin?: string; sscc?: string; lot?: string; expiresOn?: string; producedOn?: string;
  bestBefore?: string; serial?: string; count?: number; netWeightKg?: number; elements: { ai: string; value: unknown }[];
  [name: string]: unknown;
}
export declare function parseGs1(text: string, opts?: { today?: Date }): Gs1Scan;
