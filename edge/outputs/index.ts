import type { Logger } from 'pino';
import type { EdgeConfig } from '../config.schema.ts';
import { OutputHub, type OutputEntry } from './hub.ts';
import { LogAlarmOutput } from './log-output.ts';
import { MqttAlertOutput } from './mqtt-alerts.ts';
import { RelayOutput } from './relay.ts';
import { relayDriver } from './relay-drivers.ts';
import type { AlarmOutput } from './types.ts';
import { WebhookOutput } from './webhook.ts';

export type { AlarmOutput } from './types.ts';
export { OutputHub } from './hub.ts';

/** Builds and starts the configured local outputs; undefined when there are none. */
export async function createOutputHub(cfg: EdgeConfig, log: Logger): Promise<OutputHub | undefined> {
  if (!cfg.outputs?.length) return undefined;
  const gateway = { id: cfg.gateway.id, site: cfg.gateway.site };
  const entries: OutputEntry[] = cfg.outputs.map((o, i) => {
    const name = o.name ?? `${o.type}-${i}`;
    let output: AlarmOutput;
    switch (o.type) {
      case 'mqtt': {
        // Default: the site broker the devices use, on a connection of its own (its own client id).
        const { clientId: _deviceLinkId, ...deviceLink } = cfg.deviceBroker;
        output = new MqttAlertOutput({ name, link: o.broker ?? deviceLink, topicPrefix: o.topicPrefix, qos: o.qos, gateway, log });
        break;
      }
      case 'webhook':
        output = new WebhookOutput({ name, url: o.url, headers: o.headers, timeoutMs: o.timeoutMs, retries: o.retries, backoff: o.backoff, maxQueue: o.maxQueue, gateway, log });
        break;
      case 'relay':
        output = new RelayOutput({ name, driver: relayDriver(o.driver, name, log), retries: o.retries, backoff: o.backoff, log });
        break;
      case 'log':
        output = new LogAlarmOutput(name, log);
        break;
    }
    return { output, minSeverity: o.minSeverity, zones: o.zones };
  });
  // Started together: a site broker that is down must not delay the relay or the webhook.
  await Promise.all(entries.map((e) => e.output.start?.().catch((err: Error) => log.warn({ output: e.output.name, err: err.message }, 'local output did not start; retrying'))));
  return new OutputHub(entries, log);
}
