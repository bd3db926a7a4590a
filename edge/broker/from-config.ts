import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config.schema.ts';
import { brokerSecurityFromConfig } from './access.ts';
import type { BrokerLinkConfig } from './config.schema.ts';
import type { EmbeddedBrokerOptions } from './embedded-broker.ts';
import { SpError } from '../../protocols/errors.ts';

// Config (file paths, defaults) → what the broker and the mqtt.js clients take (PEM contents).

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Options for startEmbeddedBroker from the gateway config's `broker` section. */
export function embeddedBrokerOptions(cfg: Pick<EdgeConfig, 'broker' | 'devices'>, log?: Logger): EmbeddedBrokerOptions {
  const b = cfg.broker;
  if (!b) throw new SpError('SP_ERR_CONFIG', { field: 'broker', reason: 'the config has no broker section' }, 'config has no broker section');
  const tls = b.tls && {
    key: readFileSync(b.tls.key),
    cert: readFileSync(b.tls.cert),
    ca: b.tls.ca === undefined ? undefined : readFileSync(b.tls.ca),
    requireClientCert: b.tls.requireClientCert,
  };
  if (b.auth === 'none' && !LOOPBACK.test(b.host)) {
    log?.warn({ host: b.host }, 'embedded broker listens beyond loopback with auth: none — anyone on the network can publish readings');
  }
  return { host: b.host, port: b.port ?? (tls ? 8883 : 1883), security: brokerSecurityFromConfig(cfg), tls, log, ...(b.maxPacketBytes ? { maxPacketBytes: b.maxPacketBytes } : {}) };
}

/** mqtt.js TLS options (ca/cert/key contents, rejectUnauthorized) for one of the gateway's links. */
export function brokerLinkTlsOptions(b: Pick<BrokerLinkConfig, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>): {
  ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean;
} {
  return {
    ...(b.ca !== undefined ? { ca: readFileSync(b.ca) } : {}),
    ...(b.cert !== undefined ? { cert: readFileSync(b.cert) } : {}),
    ...(b.key !== undefined ? { key: readFileSync(b.key) } : {}),
    ...(b.rejectUnauthorized !== undefined ? { rejectUnauthorized: b.rejectUnauthorized } : {}),
  };
}
