import type { Db } from '../../cloud/db/engine.ts';
import { addGateway, type AddGateway } from '../../cloud/gateways/registry.ts';

// The one way tests register the gateways whose batches they send: the cloud refuses batches
// from a gateway it does not know (cloud/ingest/gateway-policy.ts), as it would in production.
// Returns the credential (the MQTT password for a broker that checks the registry).

export async function registerGateway(db: Db, id: string, o: Omit<AddGateway, 'id'> = {}): Promise<string> {
  const { credential } = await addGateway(db, { id, createdBy: 'test', ...o });
  return credential;
}
