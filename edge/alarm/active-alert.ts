import type { AlertRule } from '../../protocols/uplink/contract.ts';

/** An alert that has been raised and not yet cleared (zone machine and defrost tracker). */
export interface ActiveAlert {
  id: string;
  rule: AlertRule;
  sensor: string | undefined;
  since: number;
  raisedAt: number;
  threshold: number | undefined;
}
