import pino from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../../edge/broker/embedded-broker.ts';
import { Gateway } from '../../../../edge/gateway.ts';
import { parseEdgeConfig } from '../../../../edge/config.ts';
import { MemoryOutbox, type Outbox } from '../../../../edge/outbox/memory-outbox.ts';
import { type OutboxEntry } from '../../../../edge/outbox/queue.ts';
import { MemoryDeadLetters } from '../../../../edge/dead-letters.ts';
import type { AlertEvent, MovementEvent } from '../../../../protocols/uplink/contract.ts';

/** a real in-memory outbox that also remembers everything appended, for the assertions */
export class RecordingOutbox extends MemoryOutbox {
  readonly appended: OutboxEntry[] = [];
  override append(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>): void {
    this.appended.push(...entries);
    super.append(entries, state);
  }
  movements(device?: string): MovementEvent[] {
    return this.appended.flatMap((e) => (e.type === 'movement' && (!device || e.movement.source.device === device) ? [e.movement] : []));
  }
  alerts(): AlertEvent[] {
    return this.appended.flatMap((e) => (e.type === 'alert' ? [e.alert] : []));
  }
}

export const quietLog = pino({ level: 'silent' });

/** The real Gateway on a real embedded broker (devices and uplink on the same one; no cloud: the outbox keeps everything). */
export async function startGatewayRig<O extends Outbox = RecordingOutbox>(broker: EmbeddedBroker, devices: unknown[], given?: O): Promise<{ gw: Gateway; outbox: O }> {
  const outbox = given ?? (new RecordingOutbox() as unknown as O);
  const gw = new Gateway({
    log: quietLog, outbox, deadLetters: new MemoryDeadLetters(),
    config: parseEdgeConfig({
      gateway: { id: 'gw-dev', site: 'bakery' },
      deviceBroker: { url: broker.url },
      uplink: { url: broker.url, flushMs: 50, ackTimeoutMs: 60_000 },
      zones: [{ id: 'bakehouse', name: 'Bakehouse', profile: {} }, { id: 'dry', name: 'Dry store', profile: {} }, { id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 } }],
      devices,
    }, {}),
  });
  await gw.start();
  return { gw, outbox };
}

export { startEmbeddedBroker, type EmbeddedBroker };
