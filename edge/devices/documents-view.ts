import type { DeviceDriver, DriverStatus } from '../../protocols/driver.ts';
import type { ExpectedDocument } from '../rfid/expected-documents.ts';
import { DocumentMatcher } from '../rfid/pass-to-movements.ts';

// Devices that book goods against open documents (receipts, shipments) say so by shape: a
// matcher and setCloudExpected. The gateway finds them by that, not by protocol name.

export interface DocumentsSink {
  readonly matcher: DocumentMatcher;
  /** what the cloud pushed last: replaces the cloud's list, keeps the config's documents */
  setCloudExpected(docs: readonly ExpectedDocument[], keep?: boolean): void;
}

export const isDocumentsSink = (d: unknown): d is DocumentsSink =>
  typeof d === 'object' && d !== null && 'matcher' in d && typeof (d as DocumentsSink).setCloudExpected === 'function';

export interface DocumentsView extends DocumentsSink {
  /** per configured device, what its driver last proved */
  deviceStatuses(): Record<string, DriverStatus>;
}

/** A gateway's devices seen together: statuses of all, the open documents of the first that matches against them. */
export function documentsView(gw: { readonly drivers: ReadonlyMap<string, DeviceDriver>; deviceStatuses(): Record<string, DriverStatus> }): DocumentsView {
  const sink = [...gw.drivers.values()].find((d): d is DeviceDriver & DocumentsSink => isDocumentsSink(d));
  return {
    deviceStatuses: () => gw.deviceStatuses(),
    // a site with no such device matches nothing: an empty matcher says so
    matcher: sink?.matcher ?? new DocumentMatcher(''),
    setCloudExpected: (docs, keep) => sink?.setCloudExpected(docs, keep),
  };
}
