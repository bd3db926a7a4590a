import type { EdgeConfig } from '../config.schema.ts';
import type { BrokerUser } from './config.schema.ts';
import { filterCovers, filtersOverlap, topicMatches } from './topics.ts';

// Who may do what on the embedded broker. Each login becomes an identity with two lists of
// topic filters; a publish must match one of `publish`, a subscription must be covered by one
// of `subscribe`. Devices get exactly their configured topic, so a compromised or misconfigured
// probe cannot feed readings in another device's name.

export type BrokerRole = BrokerUser['role'];

export interface BrokerIdentity {
  /** username, or the certificate CN */
  name: string;
  role: BrokerRole;
  publish: readonly string[];
  subscribe: readonly string[];
  /** filters this identity may neither publish to nor subscribe under, whatever the lists allow ("everything but …") */
  except?: readonly string[];
}

export interface BrokerSecurity {
  /** password logins by username (password absent = certificate login only) */
  users: ReadonlyMap<string, { password?: string; identity: BrokerIdentity }>;
  /** certificate logins whose CN is a device id with no user entry of its own */
  devices: ReadonlyMap<string, BrokerIdentity>;
  /** what a connection without a username may do; absent = anonymous connections are refused */
  anonymous?: BrokerIdentity;
  /** logins not in `users`, checked elsewhere (the demo: the cloud's gateway registry); undefined = refused */
  lookup?: (username: string, password: Buffer | undefined) => Promise<BrokerIdentity | undefined>;
}

/** Every gateway topic lives under this prefix: uplink batches/acks and local alerts. */
export const STOCKPULSE_TOPICS = 'stockpulse/v1/#';
export const LOCAL_ALERT_TOPICS = 'stockpulse/v1/local/alerts/#';

export function canPublish(id: BrokerIdentity, topic: string): boolean {
  if (topic.startsWith('$')) return false; // $SYS/… is the broker's own
  if (id.except?.some((f) => topicMatches(f, topic))) return false;
  return id.publish.some((f) => topicMatches(f, topic));
}

export function canSubscribe(id: BrokerIdentity, filter: string): boolean {
  if (id.except?.some((f) => filtersOverlap(f, filter))) return false;
  return id.subscribe.some((p) => filterCovers(p, filter));
}

/** The broker's users and certificate identities from the gateway config; undefined = `auth: none`. */
export function brokerSecurityFromConfig(cfg: Pick<EdgeConfig, 'broker' | 'devices'>): BrokerSecurity | undefined {
  const auth = cfg.broker?.auth;
  if (!auth || auth === 'none') return undefined;
  const topicOf = new Map<string, string>();
  for (const d of cfg.devices) if (d.protocol === 'mqtt-json') topicOf.set(d.id, d.topic);
  const deviceTopics = [...topicOf.values()];

  const identity = (name: string, role: BrokerRole, deviceIds: string[], extra: Pick<BrokerUser, 'publish' | 'subscribe'>): BrokerIdentity => {
    const base = role === 'device' ? { publish: deviceIds.map((id) => topicOf.get(id)).filter((t): t is string => !!t), subscribe: [] }
      : role === 'gateway' ? { publish: [STOCKPULSE_TOPICS], subscribe: [...deviceTopics, STOCKPULSE_TOPICS] }
      : role === 'panel' ? { publish: [], subscribe: [LOCAL_ALERT_TOPICS] }
      : { publish: ['#'], subscribe: ['#'] };
    return Object.freeze({
      name, role,
      publish: Object.freeze([...base.publish, ...(extra.publish ?? [])]),
      subscribe: Object.freeze([...base.subscribe, ...(extra.subscribe ?? [])]),
    });
  };

  const users = new Map<string, { password?: string; identity: BrokerIdentity }>();
  for (const u of auth.users) {
    const ids = u.device === undefined ? [] : typeof u.device === 'string' ? [u.device] : [...u.device];
    users.set(u.username, { password: u.password, identity: identity(u.username, u.role, ids, u) });
  }
  const devices = new Map<string, BrokerIdentity>();
  for (const id of topicOf.keys()) devices.set(id, identity(id, 'device', [id], {}));
  return { users, devices };
}
