import { reportRoles, type ReportDefinition } from './report.ts';
import { expiringReport, stockReport } from './stock-report.ts';
import { cogsReport, stockValueReport } from './valuation-reports.ts';
import { countAccuracyReport, priceTrendReport, reorderReport, supplierOnTimeReport, turnoverReport } from './analytics-reports.ts';

// Every report the API lists, exports and e-mails (routes.ts, job.ts).
//
// TO ADD A REPORT: one import line above + one entry below, and its
// title and column names in i18n.ts (both languages; tests/cloud/reports/registry.test.ts checks).
export const reports: readonly ReportDefinition[] = [
  stockReport,
  expiringReport,
  reorderReport,
  turnoverReport,
  supplierOnTimeReport,
  countAccuracyReport,
  priceTrendReport,
  stockValueReport,
  cogsReport,
];

// a report whose source route is not in the permission matrix, or an id used twice, stops the cloud at startup
for (const r of reports) reportRoles(r);
if (new Set(reports.map((r) => r.id)).size !== reports.length) throw new Error('two reports share an id');   // startup assertion

export const reportById = (id: string): ReportDefinition | undefined => reports.find((r) => r.id === id);
