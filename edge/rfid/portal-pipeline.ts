import { Observable, type OperatorFunction } from 'rxjs';
import type { TagRead } from '../../protocols/rfid/tag-read.ts';
import { PassTracker } from './pass-tracker.ts';
import { DocumentMatcher, type PortalOutput } from './pass-to-movements.ts';
import type { ExpectedDocument } from './expected-documents.ts';
import type { PortalConfig } from './portal-config.ts';

// The rxjs wiring of a portal: tag reads in; passes, movements and alerts out. The pure parts
// (PassTracker, DocumentMatcher) do the thinking; this only adds the timer that closes a pass
// when the dock goes quiet (no read arrives to close it).

export interface PortalPipelineOptions {
  portal: PortalConfig;
  gatewayId: string;
  /** the matcher holding the open documents (shared by the gateway's portals) */
  matcher?: DocumentMatcher;
  expected?: readonly ExpectedDocument[];
  /** how often to check for a finished pass (ms); default passGapMs / 4 */
  tickMs?: number;
  now?: () => number;
}

export interface PortalPipeline {
  operator: OperatorFunction<TagRead, PortalOutput>;
  matcher: DocumentMatcher;
  tracker: PassTracker;
}

export function portalPipeline(o: PortalPipelineOptions): PortalPipeline {
  const matcher = o.matcher ?? new DocumentMatcher(o.gatewayId);
  if (o.expected) matcher.setExpected(o.expected);
  const tracker = new PassTracker(o.portal);
  const readers = new Set(tracker.readers);
  const now = o.now ?? Date.now;
  const operator: OperatorFunction<TagRead, PortalOutput> = (reads) => new Observable<PortalOutput>((sub) => {
    const emit = (passes: ReturnType<PassTracker['tick']>) => {
      for (const p of passes) for (const out of matcher.match(p, o.portal)) sub.next(out);
    };
    const timer = setInterval(() => emit(tracker.tick(now())), o.tickMs ?? Math.max(25, Math.floor(o.portal.passGapMs / 4)));
    const s = reads.subscribe({
      next: (r) => { if (readers.has(r.reader)) emit(tracker.ingest(r)); },
      error: (e) => sub.error(e),
      complete: () => { emit(tracker.flush()); sub.complete(); },
    });
    return () => { clearInterval(timer); s.unsubscribe(); };
  });
  return { operator, matcher, tracker };
}
