import type { Queryable } from '../../db/engine.ts';
import { DAY_MS } from '../days.ts';
import { rangeOut, ratio, type DayRange } from './range.ts';

// Count accuracy from approved count sessions (approved in the period): every counted line is
// compared with what the books said when it was submitted (the session's proposals hold the
// lines that differed, with the expected quantity; a line without a proposal matched).
//   line accuracy     = lines that matched exactly / lines counted   (inventory record accuracy)
//   quantity accuracy = 1 − Σ|counted − expected| / Σ expected        (never below 0)

interface Line { item: string; lot?: string; location: string; counted: number }
interface Proposal { item: string; lot: string | null; location: string; expected: number; counted: number; diff: number }

export async function countAccuracy(q: Queryable, r: DayRange) {
  const rows = await q.query<{ id: string; location: string; lines: Line[]; data: { proposals?: Proposal[] }; approved_at: Date }>(
    `SELECT * FROM (
       SELECT d.id, d.location, d.lines, d.data,
              (SELECT max(e.at) FROM document_events e WHERE e.document_id = d.id AND e.to_status = 'approved') AS approved_at
       FROM documents d WHERE d.type = 'count_session' AND d.status = 'approved') s
     WHERE approved_at >= $1 AND approved_at < $2 ORDER BY approved_at, id`,
    [new Date(r.fromDay * DAY_MS), new Date(r.toDay * DAY_MS)]);
  const totals = { lines: 0, exact: 0, expected: 0, absDiff: 0 };
  const sessions = rows.map((s) => {
    const proposals = s.data.proposals ?? [];
    let exact = 0, expected = 0, absDiff = 0;
    for (const l of s.lines) {
      const p = proposals.find((x) => x.item === l.item && x.location === l.location && (x.lot ?? null) === (l.lot ?? null));
      if (!p) exact++;
      expected += p ? p.expected : l.counted;
      absDiff += p ? Math.abs(p.diff) : 0;
    }
    totals.lines += s.lines.length; totals.exact += exact; totals.expected += expected; totals.absDiff += absDiff;
    return {
      id: Number(s.id), location: s.location, approvedAt: new Date(s.approved_at).getTime(), lines: s.lines.length, exactLines: exact,
      lineAccuracy: ratio(exact, s.lines.length), expectedQty: expected, absDiffQty: absDiff, qtyAccuracy: qtyAccuracy(absDiff, expected),
    };
  });
  return {
    ...rangeOut(r), sessions,
    overall: { sessions: sessions.length, lines: totals.lines, exactLines: totals.exact, lineAccuracy: ratio(totals.exact, totals.lines),
      expectedQty: totals.expected, absDiffQty: totals.absDiff, qtyAccuracy: qtyAccuracy(totals.absDiff, totals.expected) },
  };
}

const qtyAccuracy = (absDiff: number, expected: number) => (expected > 0 ? Math.max(0, Math.round((1 - absDiff / expected) * 1e4) / 1e4) : null);
