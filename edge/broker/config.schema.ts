import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ByteSize } from '../outbox/byte-size.ts';

// Config for the gateway's MQTT links (client side: URL, credentials, TLS files) and for the
// embedded broker it can host for the site's devices (server side: users, ACL roles, TLS).
// Kept apart from edge/config.schema.ts, which composes these into the one EdgeConfig.

/** A file the gateway reads at start (PEM key, certificate, CA); checked to exist when the config loads. */
export const FilePath = z.string().min(1).refine((p) => existsSync(p), { message: 'file not found' });

/** An MQTT topic filter: `+` is a whole level, `#` only the last one. */
export const TopicFilter = z.string().min(1).refine(
  (f) => f.split('/').every((level, i, all) => (level === '#' ? i === all.length - 1 : level === '+' || !/[+#]/.test(level))),
  { message: 'invalid topic filter: "+" must be a whole level and "#" the last level' },
);

/** One MQTT client link of the gateway (device broker, uplink, local alert topic). */
export const BrokerLinkConfig = z.object({
  url: z.string().regex(/^(mqtts?|wss?|tcp|tls):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  username: z.string().optional(),
  password: z.string().optional(),
  clientId: z.string().optional(),
  /** PEM CA bundle that signed the broker's certificate (mqtts:// to a private CA) */
  ca: FilePath.optional(),
  /** PEM client certificate and its key, for brokers that require client certificates */
  cert: FilePath.optional(),
  key: FilePath.optional(),
  /** false accepts any server certificate: for a bench test only, never in production */
  rejectUnauthorized: z.boolean().optional(),
}).strict();
export type BrokerLinkConfig = z.infer<typeof BrokerLinkConfig>;

export const BROKER_ROLES = ['device', 'gateway', 'panel', 'admin'] as const;

export const BrokerUser = z.object({
  username: z.string().min(1),
  /** the secret itself (use ${ENV}) or `scrypt:<salt>:<hash>`; absent = certificate login only */
  password: z.string().min(1).optional(),
  /**
   * device: publishes only to its devices' topics, subscribes to nothing (unless `subscribe`);
   * gateway: the gateway's own links (device topics, stockpulse/v1/#); panel: reads local alerts;
   * admin: everything (a bench tool; not for devices)
   */
  role: z.enum(BROKER_ROLES).default('device'),
  /** device id(s) from `devices[]` whose `topic` this user may publish to */
  device: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** extra topic filters this user may publish to / subscribe to */
  publish: z.array(TopicFilter).optional(),
  subscribe: z.array(TopicFilter).optional(),
}).strict();
export type BrokerUser = z.infer<typeof BrokerUser>;

/** The embedded broker the gateway hosts for its devices (absent = the site has its own). */
export const EmbeddedBrokerConfig = z.object({
  enabled: z.boolean().default(true),
  /** listen address; 127.0.0.1 unless devices on the LAN connect (then e.g. 0.0.0.0) */
  host: z.string().min(1).default('127.0.0.1'),
  /** default 1883, or 8883 with tls; 0 = any free port */
  port: z.number().int().min(0).max(65535).optional(),
  /** the largest MQTT packet a client may send; a bigger one cuts its connection (default "5 MiB", README "Limits") */
  maxPacketBytes: ByteSize.optional(),
  /** `none` (anyone may connect and publish anything) or the list of users */
  auth: z.union([z.literal('none'), z.object({ users: z.array(BrokerUser) }).strict()]),
  tls: z.object({
    key: FilePath,
    cert: FilePath,
    /** CA that signs device certificates; with it a verified certificate's CN logs the device in */
    ca: FilePath.optional(),
    /** refuse TLS connections that present no certificate signed by `ca` */
    requireClientCert: z.boolean().default(false),
  }).strict().optional(),
}).strict();
export type EmbeddedBrokerConfig = z.infer<typeof EmbeddedBrokerConfig>;

type Issue = { path: (string | number)[]; message: string };
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});

/**
 * Checks across sections (users naming devices, TLS pairs). Tolerant of partly invalid input so
 * they are listed together with field errors.
 */
export function brokerConfigIssues(raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const cfg = obj(raw);
  for (const link of ['deviceBroker', 'uplink'] as const) {
    const l = obj(cfg[link]);
    if (l.cert !== undefined && l.key === undefined) issues.push({ path: [link, 'key'], message: 'cert is given, so its key is required too' });
    if (l.key !== undefined && l.cert === undefined) issues.push({ path: [link, 'cert'], message: 'key is given, so its cert is required too' });
  }
  if (cfg.broker === undefined) return issues;
  const broker = obj(cfg.broker);
  const tls = obj(broker.tls);
  const hasCa = typeof tls.ca === 'string';
  if (tls.requireClientCert === true && !hasCa) {
    issues.push({ path: ['broker', 'tls', 'ca'], message: 'requireClientCert needs the CA that signs the client certificates' });
  }
  const auth = broker.auth;
  if (!auth || typeof auth !== 'object') return issues;
  const users = Array.isArray((auth as { users?: unknown }).users) ? (auth as { users: unknown[] }).users : [];
  if (users.length === 0 && !hasCa) {
    issues.push({ path: ['broker', 'auth', 'users'], message: 'no user could connect: list users, or set broker.tls.ca for certificate logins' });
  }
  const devices = new Map<string, string>();
  for (const d of Array.isArray(cfg.devices) ? cfg.devices : []) {
    const dev = obj(d);
    if (typeof dev.id === 'string') devices.set(dev.id, String(dev.protocol));
  }
  const names = new Set<string>();
  users.forEach((u, i) => {
    const user = obj(u);
    const at = ['broker', 'auth', 'users', i];
    if (typeof user.username === 'string') {
      if (names.has(user.username)) issues.push({ path: [...at, 'username'], message: `duplicate username "${user.username}"` });
      names.add(user.username);
    }
    if (user.password === undefined && !hasCa) {
      issues.push({ path: [...at, 'password'], message: 'required (without broker.tls.ca there is no certificate login)' });
    }
    const ids = typeof user.device === 'string' ? [user.device] : Array.isArray(user.device) ? user.device : [];
    ids.forEach((id, j) => {
      const where = typeof user.device === 'string' ? [...at, 'device'] : [...at, 'device', j];
      const protocol = devices.get(String(id));
      if (protocol === undefined) issues.push({ path: where, message: `unknown device "${String(id)}" (devices: ${[...devices.keys()].join(', ')})` });
      else if (protocol !== 'mqtt-json') issues.push({ path: where, message: `device "${String(id)}" is ${protocol}, it does not publish over MQTT` });
    });
    if ((user.role ?? 'device') === 'device' && ids.length === 0 && !Array.isArray(user.publish)) {
      issues.push({ path: [...at, 'device'], message: 'a device user needs the device id(s) it publishes for (or explicit publish topics)' });
    }
  });
  return issues;
}
