import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { SpError } from '../../protocols/errors.ts';
import type { Queryable } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import { raiseCloudAlerts, type CloudAlert } from '../notify/alerts.ts';
import type { Refusal } from './gateway-policy.ts';

// What admins see when the cloud refuses something a gateway said: one `gateway_refused` alert
// per distinct fact (its id is the idempotency key, so a manifest resent at every stream start
// raises it once), notified like any alert. Critical when the whole batch was refused (unknown
// gateway, stolen seq, stale stream: someone may be holding a credential), warning per item.

/** alerts are on a zone; refusals that concern no zone are shown under this one */
export const GATEWAYS_ZONE = 'gateways';

/** a whole batch refused, as a refusal (for the alert) */
export function rejection(b: UplinkBatch, e: SpError): Refusal & { code: string } {
  const reason = e.details.map((d) => d.reason).join('; ');
  const subject = e.code === 'SP_ERR_UPLINK_SEQ_CONFLICT' ? `${b.stream}:${b.seq}` : e.code === 'SP_ERR_UPLINK_STREAM_REVOKED' ? b.stream : 'batch';
  return { what: 'manifest', subject, reason, item: null, code: e.code };
}

export async function raiseRefusalAlerts(q: Queryable, gateway: string, refused: readonly (Refusal & { code?: string })[], targets: readonly NotificationTarget[]): Promise<number> {
  if (!refused.length) return 0;
  const alerts: CloudAlert[] = refused.map((r) => r.code
    ? { id: `gateway_refused:${gateway}:${r.code}:${r.subject}`, zone: GATEWAYS_ZONE, rule: 'gateway_refused', severity: 'critical', value: null,
      message: `batch from gateway "${gateway}" refused (${r.code}): ${r.reason}`, extra: { gateway, code: r.code } }
    : { id: `gateway_refused:${gateway}:${r.what}:${r.subject}`, zone: r.zone ?? GATEWAYS_ZONE, rule: 'gateway_refused', severity: 'warning', value: null,
      message: `gateway "${gateway}" refused ${r.what} ${r.subject}: ${r.reason}`, extra: { gateway, code: 'SP_ERR_GATEWAY_REFUSED' } });
  const raised = await raiseCloudAlerts(q, alerts, new Date(), { targets });
  return raised.length * targets.length;
}
