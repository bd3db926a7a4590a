// Types for csv.js (plain JS so the browser uses the same quoting rule; see the header there).
export declare const CSV_BOM: string;
export declare function csvCell(v: unknown): string;
export declare function csvText(rows: readonly (readonly unknown[])[]): string;
