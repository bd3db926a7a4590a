import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db, Queryable } from '../../db/engine.ts';
import { mayTakeAction } from '../../auth/permissions.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../../config.ts';

// The purchase-order approval levels, editable by an admin (issue #14): an ordered list of
// {role, aboveMinor}. The first level always applies; a later level applies when the order's
// amount (minor units) is above its aboveMinor. `sequential` = each level approves after the one
// before it (its task appears then); otherwise all levels approve in any order (the old rule).
// Stored in approval_rule_sets (0022). With no row the rules are the cloud config's
// STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR rule — finance always, warehouse above it — so a site
// that set that variable keeps its threshold until an admin saves rules here.

export interface ApprovalLevel { role: string; aboveMinor: number }
export interface ApprovalRules { levels: ApprovalLevel[]; sequential: boolean }
export interface StoredRules extends ApprovalRules { source: 'config' | 'table'; updatedBy: string | null; updatedAt: number | null }

/** roles that may approve a purchase order at all (the permission matrix): a level any other role held could never be approved */
export const APPROVER_ROLES = (['admin', 'finance', 'warehouse', 'purchasing', 'sales', 'qa', 'viewer'] as const)
  .filter((r) => mayTakeAction(r, 'purchase-orders', 'approve'));

const MAX_MINOR = 1e15;   // bigint-safe, far above any order

export const ApprovalRulesInput = z.object({
  levels: z.array(z.object({
    role: z.string().refine((r) => (APPROVER_ROLES as readonly string[]).includes(r), { message: `must be one of the roles that may approve a purchase order: ${APPROVER_ROLES.join(', ')}` }),
    aboveMinor: z.number().int().min(0).max(MAX_MINOR).describe('this level applies when the amount (minor units) is above this; the first level always applies (0)'),
  })).min(1, 'at least one approval level').max(10),
  sequential: z.boolean().default(false).describe('levels approve one after the other, in the order given'),
}).superRefine((r, ctx) => {
  // the checks zod's shape cannot say: order, a first level that always applies, one level per role
  if (r.levels[0] && r.levels[0].aboveMinor !== 0) {
    ctx.addIssue({ code: 'custom', path: ['levels', 0, 'aboveMinor'], message: 'the first level applies to every order: its threshold must be 0' });
  }
  r.levels.forEach((l, i) => {
    const prev = r.levels[i - 1];
    if (prev && l.aboveMinor < prev.aboveMinor) {
      ctx.addIssue({ code: 'custom', path: ['levels', i, 'aboveMinor'], message: `thresholds must ascend: ${l.aboveMinor} is below level ${i}'s ${prev.aboveMinor}` });
    }
    if (r.levels.findIndex((x) => x.role === l.role) !== i) {
      ctx.addIssue({ code: 'custom', path: ['levels', i, 'role'], message: `role ${l.role} already has a level` });
    }
  });
});

export function configRules(settings: Pick<CloudSettings, 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR'>): ApprovalRules {
  return { levels: [{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: settings.STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR }], sequential: false };
}

export async function readApprovalRules(q: Queryable, settings: Pick<CloudSettings, 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR'> = DEFAULT_SETTINGS): Promise<StoredRules> {
  const [r] = await q.query<{ levels: ApprovalLevel[]; sequential: boolean; updated_by: string; updated_at: Date }>(
    `SELECT levels, sequential, updated_by, updated_at FROM approval_rule_sets WHERE document_type = 'purchase_order'`);
  if (!r) return { ...configRules(settings), source: 'config', updatedBy: null, updatedAt: null };
  return { levels: r.levels, sequential: r.sequential, source: 'table', updatedBy: r.updated_by, updatedAt: new Date(r.updated_at).getTime() };
}

/** saves validated rules; returns the rules before and after (for the audit log) */
export async function saveApprovalRules(db: Db, input: unknown, by: string, settings: Pick<CloudSettings, 'STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR'> = DEFAULT_SETTINGS) {
  const parsed = ApprovalRulesInput.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new SpError('SP_ERR_VALIDATION', { field: ['body', ...i.path].join('.'), reason: i.message });
  }
  return db.tx(async (q) => {
    const before = await readApprovalRules(q, settings);
    await q.query(
      `INSERT INTO approval_rule_sets (document_type, levels, sequential, updated_by, updated_at) VALUES ('purchase_order', $1::jsonb, $2, $3, now())
       ON CONFLICT (document_type) DO UPDATE SET levels = excluded.levels, sequential = excluded.sequential, updated_by = excluded.updated_by, updated_at = now()`,
      [JSON.stringify(parsed.data.levels), parsed.data.sequential, by]);
    const after = await readApprovalRules(q, settings);
    return { before, after };
  });
}

/** the roles that must approve an order of this amount, in level order */
export function requiredLevels(rules: ApprovalRules, amountMinor: number): string[] {
  return rules.levels.filter((l, i) => i === 0 || amountMinor > l.aboveMinor).map((l) => l.role);
}
