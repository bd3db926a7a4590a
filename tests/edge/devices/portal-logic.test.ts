import { describe, expect, it } from 'vitest';
import { PassTracker, type Pass } from '../../../edge/rfid/pass-tracker.ts';
import { DocumentMatcher, type PortalOutput } from '../../../edge/rfid/pass-to-movements.ts';
import { PortalConfig, type PortalConfigInput } from '../../../edge/rfid/portal-config.ts';
import { crossingReads, lyingTagReads, neighbourReads, strayReads, type ModelRead } from '../../../simulators/devices/portal-model.ts';
import { createRng } from '../../../simulators/random.ts';
import { sgtinFromGtin, encodeSscc96 } from '../../../protocols/epc/encode.ts';
import { MovementEvent, AlertEvent } from '../../../protocols/uplink/contract.ts';
import type { TagRead } from '../../../protocols/rfid/tag-read.ts';

// Portal logic on an injected clock: reads carry their own times, tick(now) closes passes.

const T0 = Date.UTC(2025, 2, 3, 8, 0, 0);
const GTIN = '80614141123458';
const cases = (n: number, from = 1) => Array.from({ length: n }, (_, i) => sgtinFromGtin(GTIN, 7, from + i, 2));

function portal(over: Partial<PortalConfigInput> = {}): PortalConfig {
  return PortalConfig.parse({ id: 'dock-1', zone: 'dock', readers: [{ device: 'dock-reader', outside: [1], inside: [2] }], ...over });
}

const toReads = (m: ModelRead[], start: number, reader = 'dock-reader'): TagRead[] =>
  m.map((r) => ({ reader, epc: r.epc, antenna: r.antenna, rssi: r.rssi, ts: start + r.at, count: 1 }));

/** feeds reads in time order and ticks to `until`; returns the closed passes */
function run(tracker: PassTracker, reads: TagRead[], until: number): Pass[] {
  const passes: Pass[] = [];
  for (const r of [...reads].sort((a, b) => a.ts - b.ts)) passes.push(...tracker.ingest(r));
  for (let t = reads.length ? reads[0]!.ts : T0; t <= until; t += 250) passes.push(...tracker.tick(t));
  return passes;
}

const movements = (o: PortalOutput[]) => o.filter((x): x is Extract<PortalOutput, { type: 'movement' }> => x.type === 'movement').map((x) => x.movement);
const alerts = (o: PortalOutput[]) => o.filter((x): x is Extract<PortalOutput, { type: 'alert' }> => x.type === 'alert').map((x) => x.alert);

describe('portal: reads → passes', () => {
  for (const direction of ['rssi-peak', 'antenna-order'] as const) {
    it(`40 cases inbound then outbound: one pass each, right direction (${direction})`, () => {
      const cfg = portal({ direction });
      const t = new PassTracker(cfg);
      const rng = createRng(1);
      const epcs = cases(40);
      const inbound = toReads(crossingReads({ epcs, direction: 'in', rng }), T0);
      const outbound = toReads(crossingReads({ epcs, direction: 'out', rng }), T0 + 60_000);
      const passes = run(t, [...inbound, ...outbound], T0 + 70_000);
      expect(passes.map((p) => [p.direction, p.tags.length])).toEqual([['in', 40], ['out', 40]]);
      expect(passes[0]!.tags.every((x) => x.direction === 'in')).toBe(true);
      expect(t.stats.reads).toBeGreaterThan(40 * 20); // many reads per tag became one pass
    });
  }

  it('a pallet parked in the door is counted once (dedupe per EPC and reader in the window)', () => {
    const t = new PassTracker(portal({ dedupeWindowMs: 30_000 }));
    const rng = createRng(2);
    const epcs = cases(10);
    const first = toReads(crossingReads({ epcs, direction: 'in', rng }), T0);
    // the forklift backs up a little and the same tags are read again 5 s later
    const again = toReads(crossingReads({ epcs, direction: 'in', rng }), T0 + 5000 + 3000);
    const passes = run(t, [...first, ...again], T0 + 20_000);
    expect(passes).toHaveLength(1);
    expect(t.stats.deduplicated).toBeGreaterThan(0);
  });

  it('strays and neighbour-door reads never become items of a pass', () => {
    const t = new PassTracker(portal());
    const rng = createRng(3);
    const epcs = cases(5);
    const stray = sgtinFromGtin(GTIN, 7, 999, 2);
    const neighbour = cases(3, 500);
    const reads = [
      ...toReads(crossingReads({ epcs, direction: 'in', rng }), T0),
      ...toReads(strayReads(stray, 2, rng), T0 + 1000),
      ...toReads(neighbourReads(neighbour, 1, 4000, rng), T0),
    ];
    const [pass, ...rest] = run(t, reads, T0 + 10_000);
    expect(rest).toEqual([]);
    expect(pass!.tags.map((x) => x.epc).sort()).toEqual([...epcs].sort());
    expect(pass!.strays).toContain(stray); // (a neighbour tag that once peaked above minRssi is a stray too)
    for (const n of neighbour) expect(pass!.tags.map((x) => x.epc)).not.toContain(n);
    expect(t.stats.weak).toBeGreaterThan(0);
  });

  it('a tag lying in the field does not hold passes open or count as moving', () => {
    const t = new PassTracker(portal({ maxDwellMs: 5000, passGapMs: 1000 }));
    const rng = createRng(4);
    const lying = sgtinFromGtin(GTIN, 7, 7777, 2);
    const epcs = cases(6);
    const reads = [
      ...toReads(lyingTagReads(lying, [1, 2], 0, 60_000, rng), T0),
      ...toReads(crossingReads({ epcs, direction: 'out', rng }), T0 + 20_000),
    ];
    const passes = run(t, reads, T0 + 61_000).filter((p) => p.tags.length > 0);
    expect(passes).toHaveLength(1);
    expect(passes[0]!.direction).toBe('out');
    expect(passes[0]!.tags.map((x) => x.epc)).not.toContain(lying);
  });

  it('reads of other readers / unknown antennas are ignored; pass ids are deterministic', () => {
    const a = new PassTracker(portal());
    const b = new PassTracker(portal());
    const reads = toReads(crossingReads({ epcs: cases(3), direction: 'in', rng: createRng(5) }), T0);
    const other = toReads(crossingReads({ epcs: cases(3, 100), direction: 'in', rng: createRng(6), outsideAntenna: 3, insideAntenna: 4 }), T0);
    const pa = run(a, [...reads, ...other], T0 + 10_000);
    const pb = run(b, reads, T0 + 10_000);
    expect(pa.map((p) => p.id)).toEqual(pb.map((p) => p.id));
    expect(a.stats.foreignAntenna).toBeGreaterThan(0);
  });
});

describe('portal: passes → movements and exceptions', () => {
  const po = { id: 'PO-2025-0042', type: 'receipt' as const, lines: [{ gtin: GTIN, quantity: 40, lot: 'L2503A' }] };

  function pass40(direction: 'in' | 'out', seed: number, start = T0): Pass {
    const t = new PassTracker(portal());
    const [p] = run(t, toReads(crossingReads({ epcs: cases(40), direction, rng: createRng(seed) }), start), start + 10_000);
    return p!;
  }

  it('40 cases in against an open PO → exactly one receipt of +40 for the GTIN and lot', () => {
    const m = new DocumentMatcher('gw-1');
    m.setExpected([po]);
    const out = m.match(pass40('in', 7), portal());
    const mv = movements(out);
    expect(mv).toHaveLength(1);
    expect(MovementEvent.parse(mv[0])).toMatchObject({
      type: 'receipt', item: { gtin: GTIN }, quantity: 40, unit: 'pcs', lot: 'L2503A', document: 'PO-2025-0042',
      location: { zone: 'dock' }, source: { device: 'dock-1', kind: 'rfid' },
    });
    expect((mv[0]!.evidence.epcs as string[])).toHaveLength(40);
    expect(alerts(out)).toEqual([]);
    // the PO is now fully received: the same cases coming in again are unexpected
    expect(alerts(m.match(pass40('in', 8, T0 + 120_000), portal())).map((a) => a.rule)).toEqual(['unexpected_receipt']);
  });

  it('the same cases leaving with no open shipment → one unauthorised_removal alert listing the EPCs', () => {
    const m = new DocumentMatcher('gw-1');
    m.setExpected([po]);
    const out = m.match(pass40('out', 9), portal());
    expect(movements(out)).toEqual([]);
    const [a, ...more] = alerts(out);
    expect(more).toEqual([]);
    expect(AlertEvent.parse(a)).toMatchObject({ rule: 'unauthorised_removal', transition: 'raised', severity: 'critical', zone: 'dock', value: 40 });
    for (const epc of cases(40)) expect(a!.message).toContain(epc);
  });

  it('an open shipment lets them go: one shipment movement; a pallet SSCC rides along as evidence', () => {
    const m = new DocumentMatcher('gw-1');
    m.setExpected([{ id: 'SHP-7', type: 'shipment', lines: [{ gtin: GTIN, quantity: 40 }] }]);
    const p = pass40('out', 10);
    p.tags.push({ epc: encodeSscc96({ filter: 3, companyPrefix: '0614141', serialReference: '1234567890' }), reads: 30, direction: 'out' });
    const out = m.match(p, portal());
    expect(movements(out).map((x) => [x.type, x.quantity, x.document])).toEqual([['shipment', 40, 'SHP-7']]);
    expect(movements(out)[0]!.evidence.otherEpcs).toEqual([{ hex: '3174257BF4499602D2000000', uri: 'urn:epc:id:sscc:0614141.1234567890' }]);
  });

  it('a pass with a GTIN the PO does not list is unexpected (nothing is half-booked)', () => {
    const m = new DocumentMatcher('gw-1');
    m.setExpected([po]);
    const p = pass40('in', 11);
    p.tags.push({ epc: sgtinFromGtin('00614141000012', 7, 1, 2), reads: 10, direction: 'in' });
    const out = m.match(p, portal());
    expect(movements(out)).toEqual([]);
    expect(alerts(out).map((a) => a.rule)).toEqual(['unexpected_receipt']);
  });
});
