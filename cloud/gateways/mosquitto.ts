import { topics } from '../../protocols/uplink/contract.ts';
import { expectedDocumentsTopic } from '../../protocols/uplink/expected-documents.ts';
import { CLOUD_BROKER_USER, mosquittoHash } from './registry.ts';

// The production broker's half of "a gateway publishes only on its own topics": a Mosquitto
// password file (one `id:$7$…` line per live gateway, plus the cloud's own login) and an ACL in
// which every gateway, by its username (%u = its gateway id), may write only its batch topic and
// read only its ack and open-documents topics. The cloud may trust the gateway id in a batch
// topic because of exactly this binding. Written by `stockpulse gateway mosquitto`; rewrite and
// reload Mosquitto (SIGHUP) after every `gateway add` or `gateway revoke`.

export function mosquittoAcl(cloudUser = CLOUD_BROKER_USER): string {
  const any = '+';
  return [
    '# stockpulse broker ACL — written by `stockpulse gateway mosquitto`; regenerate after gateway add/revoke',
    '',
    '# the cloud: reads every gateway\'s batches, answers with acks and open documents, publishes alerts and the expiry digests',
    `user ${cloudUser}`,
    `topic read ${topics.batch(any)}`,
    `topic write ${topics.ack(any)}`,
    `topic write ${expectedDocumentsTopic(any)}`,
    'topic write stockpulse/v1/alerts/#',
    'topic write stockpulse/v1/digests/#',
    '',
    '# every gateway (username = gateway id): its own uplink topics, nothing else',
    `pattern write ${topics.batch('%u')}`,
    `pattern read ${topics.ack('%u')}`,
    `pattern read ${expectedDocumentsTopic('%u')}`,
    '',
  ].join('\n');
}

/** the password file: the cloud's login first, then the live gateways' lines (mosquittoPasswordLines) */
export function mosquittoPasswordFile(gatewayLines: readonly string[], cloud: { user?: string; password: string }): string {
  return [`${cloud.user ?? CLOUD_BROKER_USER}:${mosquittoHash(cloud.password)}`, ...gatewayLines, ''].join('\n');
}
