import type { z } from 'zod';
import type { Db } from '../db/engine.ts';
import { PERMISSIONS, PUBLIC, type Role } from '../auth/permissions.ts';

// What a report is: an id, the API route whose data it exports (its roles are the report's
// roles: a report shows nobody more than the page's API would), the query params it takes, and a
// function to a plain table. Titles and column names are in i18n.ts (en / zh-CN); renderers
// (csv.ts) turn a table into a file.

/** one table: column keys (named in i18n.ts as col.<key>) and the rows, one value per column */
export interface ReportTable { columns: string[]; rows: unknown[][] }

export interface ReportContext { role: Role }

export interface ReportDefinition<P extends z.ZodTypeAny = z.ZodTypeAny> {
  id: string;
  /** "GET /api/…": the route of cloud/auth/permissions.ts whose roles may run this report */
  source: string;
  params: P;
  run(db: Db, params: z.infer<P>, ctx: ReportContext): Promise<ReportTable>;
}

export const defineReport = <P extends z.ZodTypeAny>(r: ReportDefinition<P>): ReportDefinition => r as unknown as ReportDefinition;

/** the roles that may run a report: admin and the roles of its source route */
export function reportRoles(r: ReportDefinition): Role[] {
  const rule = PERMISSIONS[r.source];
  if (rule === undefined) throw new Error(`report ${r.id}: source route ${r.source} is not in the permission matrix`);   // startup assertion (registry.ts checks every report at load)
  return ['admin', ...(rule === PUBLIC ? [] : rule.filter((x) => x !== 'admin'))];
}

export const mayRun = (r: ReportDefinition, role: Role) => reportRoles(r).includes(role);
