import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ExpectedDocumentsMessage, expectedDocumentsTopic } from '../../protocols/uplink/expected-documents.ts';
import type { ExpectedDocument } from './expected-documents.ts';

// The edge end of the cloud's open-document push: subscribes to the gateway's retained
// `stockpulse/v1/gw/{gateway}/expected` on the gateway's uplink connection and hands each list to the portals'
// matcher (Gateway.stock.setCloudExpected). The message is the whole list, so applying it
// replaces what the cloud said before; documents from the gateway's own config stay.
// A message that does not parse is logged and ignored: the previous list stays in force.

export interface ExpectedFeedOptions {
  client: MqttClient;
  gatewayId: string;
  log: Logger;
  apply: (docs: ExpectedDocument[]) => void;
}

export class ExpectedDocumentsFeed {
  private readonly topic: string;
  /** lists applied so far (status, tests) */
  received = 0;
  lastAt: number | undefined;

  constructor(private readonly o: ExpectedFeedOptions) {
    this.topic = expectedDocumentsTopic(o.gatewayId);
  }

  private readonly onMessage = (topic: string, payload: Buffer): void => {
    if (topic !== this.topic) return;
    let msg: ExpectedDocumentsMessage;
    try {
      msg = ExpectedDocumentsMessage.parse(JSON.parse(payload.toString('utf8')));
    } catch (e) {
      this.o.log.warn({ topic, err: (e as Error).message.slice(0, 500) }, 'open documents from the cloud do not parse; keeping the previous list');
      return;
    }
    if (this.lastAt !== undefined && msg.at < this.lastAt) return; // an older list arriving late
    this.lastAt = msg.at;
    this.received++;
    this.o.apply(msg.documents.map((d) => ({
      id: d.id, type: d.type, ...(d.portal ? { portal: d.portal } : {}),
      lines: d.lines.map((l) => ({ gtin: l.gtin, quantity: l.quantity, received: l.received, ...(l.lot ? { lot: l.lot } : {}), ...(l.sku ? { sku: l.sku } : {}) })),
    })));
    this.o.log.info({ documents: msg.documents.length }, 'open documents from the cloud');
  };

  private readonly subscribe = async (): Promise<void> => {
    await this.o.client.subscribeAsync(this.topic, { qos: 1 }).catch((e) => this.o.log.warn({ err: e.message }, 'subscribing to open documents failed'));
  };

  async start(): Promise<void> {
    this.o.client.on('message', this.onMessage);
    this.o.client.on('connect', this.subscribe);
    if (this.o.client.connected) await this.subscribe();
  }

  async stop(): Promise<void> {
    this.o.client.off('message', this.onMessage);
    this.o.client.off('connect', this.subscribe);
    if (this.o.client.connected) await this.o.client.unsubscribeAsync(this.topic).catch(() => {});
  }
}
