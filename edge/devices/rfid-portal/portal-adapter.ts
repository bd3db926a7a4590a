import { Subject, type Subscription } from 'rxjs';
import type { DeviceDriver, DriverStatus } from '../../../protocols/driver.ts';
import { SpError } from '../../../protocols/errors.ts';
import { PortalConfig } from '../../rfid/portal-config.ts';
import { portalPipeline } from '../../rfid/portal-pipeline.ts';
import { DocumentMatcher } from '../../rfid/pass-to-movements.ts';
import type { ExpectedDocument } from '../../rfid/expected-documents.ts';
import { ExpectedDocumentsFeed } from '../../rfid/expected-feed.ts';
import type { Pass } from '../../rfid/pass-tracker.ts';
import type { RfidPortalDeviceConfig } from '../device-config.schema.ts';
import type { DriverContext, ProtocolAdapter } from '../driver-context.ts';
import { RfidReaderDriver } from './reader-driver.ts';

// RFID dock portals: reader messages on the device broker → tag reads → passes (edge/rfid/
// pass-tracker.ts) → receipts, shipments and exceptions matched to the open documents (the
// config's at start, the cloud's as it pushes them). Lossless across a restart: a message's
// reads are journaled before its PUBACK and cleared once their pass is booked.

const EXPECTED_STATE = 'cloud-expected-documents';

export class RfidPortals implements DeviceDriver {
  readonly id = 'rfid-portal';
  /** every closed portal pass (dashboard: dock activity) */
  readonly passes = new Subject<Pass>();
  readonly matcher: DocumentMatcher;
  private readonly rfid: RfidReaderDriver;
  private subs: Subscription[] = [];
  private feed: ExpectedDocumentsFeed | undefined;

  constructor(private readonly portals: readonly RfidPortalDeviceConfig[], private readonly ctx: DriverContext) {
    this.matcher = new DocumentMatcher(ctx.gatewayId);
    if (!ctx.deviceClient) throw new SpError('SP_ERR_CONFIG', { field: 'deviceBroker', reason: 'RFID portals need the device broker client' }, 'RFID portals need the device broker client');
    // made now, not in start(): on a persistent session the broker delivers what it queued for
    // the readers right after the connection comes up, which may be before start()
    const journal = ctx.journal;
    this.rfid = new RfidReaderDriver(ctx.deviceClient, portals, ctx.deadLetters, undefined, (id, reads) => journal.journalAdd(id, reads));
  }

  /** Replaces the open documents portals match against (config at start; the cloud later). */
  setExpected(docs: readonly ExpectedDocument[]): void {
    this.matcher.setExpected(docs);
  }

  /** what the cloud pushed last (edge/rfid/expected-feed.ts): replaces the cloud's list, keeps the config's documents */
  setCloudExpected(docs: readonly ExpectedDocument[], keep = true): void {
    // kept in the edge store: after a restart the journal's passes are matched against the list
    // the cloud sent last, even before (or without) the uplink coming back
    if (keep) this.ctx.state.saveState({ [EXPECTED_STATE]: JSON.stringify(docs) });
    const configured = this.portals.flatMap((d) => d.expected);
    const ids = new Set(docs.map((d) => d.id));
    this.matcher.setExpected([...configured.filter((d) => !ids.has(d.id)), ...docs]);
  }

  async start(): Promise<void> {
    const { log, journal } = this.ctx;
    const rfid = this.rfid;
    this.matcher.setExpected(this.portals.flatMap((p) => p.expected));
    const lastCloudList = this.ctx.state.savedState(EXPECTED_STATE);
    if (lastCloudList) this.setCloudExpected(JSON.parse(lastCloudList) as ExpectedDocument[], false);
    const clear = (portalId: string, upTo: number) => {
      try {
        journal.journalClear(portalId, upTo);
      } catch (e) {
        log.error({ err: e, portal: portalId }, 'clearing the portal journal failed; its reads stay and are looked at again');
      }
    };
    for (const p of this.portals) {
      const portal = PortalConfig.parse({
        id: p.id, zone: p.zone, ...(p.bin ? { bin: p.bin } : {}), readers: [{ device: p.id, outside: p.outside, inside: p.inside }],
        direction: p.direction, passGapMs: p.passGapMs, dedupeWindowMs: p.dedupeWindowMs, minReads: p.minReads, minRssi: p.minRssi, maxDwellMs: p.maxDwellMs,
      });
      const pipe = portalPipeline({ portal, gatewayId: this.ctx.gatewayId, matcher: this.matcher });
      let current = { failed: false };
      this.subs.push(rfid.reads.pipe(pipe.operator).subscribe((out) => {
        try {
          if (out.type === 'pass') {
            log.info({ portal: p.id, pass: out.pass.id, direction: out.pass.direction, tags: out.pass.tags.length }, 'portal pass');
            this.passes.next(out.pass);
            // the pass's movements and alerts follow synchronously and are appended (kept) by
            // then; its reads may go — unless appending one failed: then they stay for the
            // next start. (A crash before the clear replays them: same pass id, same
            // movement and alert ids, which the cloud has already.)
            const pass = (current = { failed: false });
            const upTo = out.pass.endedAt;
            queueMicrotask(() => { if (!pass.failed) clear(p.id, upTo); });
          } else if (out.type === 'movement') this.ctx.onMovement(out.movement);
          else this.ctx.onAlert(out.alert);
        } catch (e) {
          current.failed = true;
          throw e;
        }
      }));
      // Reads the tracker let go without a pass (strays, a tag lying in the field, a pallet
      // lingering in the quiet window after its pass) need no keeping once nothing is open —
      // and must not be replayed into a fresh tracker that no longer knows they were quiet.
      // Cleared as soon as the tracker is idle, at most every 250 ms.
      let lastTs = 0;
      let clearedAt = 0;
      const sweep = () => {
        if (!pipe.tracker.idle || !lastTs || Date.now() - clearedAt < 250) return;
        clearedAt = Date.now();
        clear(p.id, lastTs);
      };
      this.subs.push(rfid.reads.subscribe((r) => { if (r.reader === p.id) { lastTs = Math.max(lastTs, r.ts); sweep(); } }));
      const timer = setInterval(sweep, 1000);
      this.subs.push({ unsubscribe: () => clearInterval(timer) } as Subscription);
    }
    // what was read but not yet booked before a restart (and what arrived since the connection came up)
    for (const p of this.portals) for (const r of journal.journal(p.id)) rfid.reads.next(r);
    await rfid.start();
    // the cloud's open documents (retained topic on the uplink broker) → the matcher
    if (this.ctx.uplinkClient) {
      this.feed = new ExpectedDocumentsFeed({ client: this.ctx.uplinkClient, gatewayId: this.ctx.gatewayId, log: log.child({ component: 'expected-documents' }), apply: (docs) => this.setCloudExpected(docs) });
      await this.feed.start();
    }
  }

  async stop(): Promise<void> {
    // an open pass is NOT closed at stop (that would book half a pallet): its reads stay
    // journaled and the next start picks the pass up
    for (const s of this.subs) s.unsubscribe();
    await this.rfid.stop();
    await this.feed?.stop();
    this.passes.complete();
  }

  status(): DriverStatus {
    return this.rfid.status();
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return this.rfid.deviceStatuses();
  }
}

export const rfidPortalAdapter: ProtocolAdapter<RfidPortalDeviceConfig> = {
  deviceBroker: true,
  create: (portals, ctx) => new RfidPortals(portals, ctx),
};
