import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BrokerIdentity, BrokerSecurity } from '../edge/broker/access.ts';
import { topics } from '../protocols/uplink/contract.ts';
import { expectedDocumentsTopic } from '../protocols/uplink/expected-documents.ts';
import type { Db } from '../cloud/db/engine.ts';
import { addGateway, checkGatewayCredential, CLOUD_BROKER_USER, getGateway, revokeGateway } from '../cloud/gateways/registry.ts';

// The demo's one embedded broker carries both the site's devices and the edge→cloud uplink, so it
// binds uplink topics to credentials (issue #11): a gateway logs in as its registered id with its
// credential and may publish only its own batches and read only its own acks and documents; the
// cloud logs in as `stockpulse-cloud`; an anonymous connection (the simulated devices, the
// gateway's device link, its local alarm topic) may use any topic except the uplink's. That
// binding is why the cloud may trust the gateway id in a batch topic. Production brokers get the
// same rules from `stockpulse gateway mosquitto`.

const UPLINK = 'stockpulse/v1/gw/#';

export const gatewayBrokerIdentity = (id: string): BrokerIdentity => Object.freeze({
  name: id, role: 'gateway' as const,
  publish: [topics.batch(id)],
  subscribe: [topics.ack(id), expectedDocumentsTopic(id)],
});

export const cloudBrokerIdentity: BrokerIdentity = Object.freeze({
  name: CLOUD_BROKER_USER, role: 'admin' as const,
  // digests too (the expiry sweep's per-role digest, cloud/rules/expiry/sweep.ts): aedes drops a
  // client that publishes outside its ACL, and the cloud lost its ingest subscription in a loop
  publish: [topics.ack('+'), expectedDocumentsTopic('+'), 'stockpulse/v1/alerts/#', 'stockpulse/v1/digests/#'],
  subscribe: [topics.batchSubscription()],
});

/** `db()` is the registry's database once the cloud is up (until then only the cloud itself can log in) */
export function uplinkBrokerSecurity(cloudPassword: string, db: () => Db | undefined): BrokerSecurity {
  return {
    users: new Map([[CLOUD_BROKER_USER, { password: cloudPassword, identity: cloudBrokerIdentity }]]),
    devices: new Map(),
    anonymous: Object.freeze({ name: 'anonymous', role: 'device' as const, publish: ['#'], subscribe: ['#'], except: [UPLINK] }),
    lookup: async (username, password) => {
      const registry = db();
      if (!registry || password === undefined) return undefined;
      return (await checkGatewayCredential(registry, username, password)) ? gatewayBrokerIdentity(username) : undefined;
    },
  };
}

/**
 * The demo gateway's credential, kept beside its outbox (like a real gateway's config holds its
 * MQTT password), so a restarted demo keeps its registration and its stream. Registered on the
 * first start; re-issued only when the file is gone.
 */
export async function demoGatewayCredential(db: Db, id: string, file: string): Promise<string> {
  const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { id?: string; credential?: string }, () => undefined);
  if (saved?.id === id && saved.credential && await checkGatewayCredential(db, id, saved.credential)) return saved.credential;
  const existing = await getGateway(db, id);
  if (existing && existing.revokedAt === null) await revokeGateway(db, id);
  const { credential } = await addGateway(db, { id, createdBy: 'demo', note: 'registered by the demo (npm start)' });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ id, credential }), { mode: 0o600 });
  return credential;
}
