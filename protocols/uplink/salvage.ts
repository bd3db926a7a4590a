import { Reading } from '../reading.ts';
import { zodIssuesToDetails } from '../errors.ts';
import { AlertEvent, DeviceStatusEvent, GatewayManifest, MovementEvent, UplinkBatch } from './contract.ts';

// A batch that failed the contract as a whole (parse.ts) may still be a good envelope around
// one bad item: issue #11 wants only that item lost, never the batch around it. When the
// envelope (v, gateway, stream, seq, sentAt) is valid, each item is checked on its own: the good
// ones make a batch to store, the bad ones come back with their contract reason to be
// dead-lettered. Pure; the cloud calls it only after parseUplinkBatch refused the frame.

export type ItemKind = 'manifest' | 'readings' | 'alerts' | 'devices' | 'movements';

export interface InvalidItem {
  kind: ItemKind;
  index: number;
  reason: string;
  item: unknown;
}

const Envelope = UplinkBatch.pick({ v: true, gateway: true, stream: true, seq: true, sentAt: true });
const LISTS = { readings: Reading, alerts: AlertEvent, devices: DeviceStatusEvent, movements: MovementEvent } as const;

export function salvageUplinkBatch(payload: Buffer | string, topicGateway: string): { batch: UplinkBatch; invalid: InvalidItem[] } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const env = Envelope.safeParse(json);
  if (!env.success || env.data.gateway !== topicGateway) return undefined;
  const raw = json as Record<string, unknown>;
  const invalid: InvalidItem[] = [];
  const why = (issues: Parameters<typeof zodIssuesToDetails>[0]) => zodIssuesToDetails(issues).slice(0, 5).map((d) => `${d.field}: ${d.reason}`).join('; ');
  const batch: UplinkBatch = { ...env.data, readings: [], alerts: [], devices: [], movements: [] };
  if (raw.manifest !== undefined) {
    const m = GatewayManifest.safeParse(raw.manifest);
    if (m.success) batch.manifest = m.data;
    else invalid.push({ kind: 'manifest', index: 0, reason: why(m.error.issues), item: raw.manifest });
  }
  for (const kind of Object.keys(LISTS) as (keyof typeof LISTS)[]) {
    const list = raw[kind];
    if (list === undefined && (kind === 'devices' || kind === 'movements')) continue;
    if (!Array.isArray(list)) {
      invalid.push({ kind, index: 0, reason: `${kind}: not an array`, item: list });
      continue;
    }
    list.forEach((item, index) => {
      const r = LISTS[kind].safeParse(item);
      if (r.success) (batch[kind] as unknown[]).push(r.data);
      else invalid.push({ kind, index, reason: why(r.error.issues), item });
    });
  }
  return { batch, invalid };
}
