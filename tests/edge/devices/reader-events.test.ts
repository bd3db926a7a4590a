import { describe, expect, it } from 'vitest';
import { decodeReaderMessage } from '../../../protocols/rfid/reader-events.ts';
import { isSpError } from '../../../protocols/errors.ts';
import * as F from '../../protocols/fixtures/reader-frames.ts';

const NOW = 1_700_000_000_000;

function decodeError(fn: () => unknown): { code: string; field: string } {
  try {
    fn();
  } catch (e) {
    if (isSpError(e)) return { code: e.code, field: e.details[0]!.field };
    throw e;
  }
  throw new Error('expected an error');
}

describe('RFID reader reports', () => {
  it('Impinj tagInventory: epcHex, antenna, centi-dBm → dBm, lastSeenTime (ns precision)', () => {
    expect(decodeReaderMessage('impinj', F.IMPINJ_TAG_INVENTORY, 'dock-portal', NOW)).toEqual([
      { reader: 'dock-portal', epc: 'E2801190A5021F80055817CA', antenna: 1, rssi: -26.5, ts: Date.parse('2021-07-09T23:35:59.270Z'), count: 1, host: 'impinj-13-f8-f5' },
    ]);
  });

  it('Impinj with only the base64 EPC', () => {
    const [r] = decodeReaderMessage('impinj', F.IMPINJ_BASE64_ONLY, 'p', NOW);
    expect(r).toMatchObject({ epc: '3074257BF7194E4000001A85', antenna: 2, rssi: -53.25, ts: Date.parse('2021-07-09T23:35:59.278Z') });
  });

  it('Impinj webhook array: non-tag events skipped', () => {
    const reads = decodeReaderMessage('impinj', F.IMPINJ_WEBHOOK_ARRAY, 'p', NOW);
    expect(reads.map((r) => [r.antenna, r.rssi])).toEqual([[1, -61], [2, -52]]);
  });

  it('Impinj NDJSON stream (two lines)', () => {
    const ndjson = `${F.IMPINJ_TAG_INVENTORY}\n${F.IMPINJ_BASE64_ONLY}\n`;
    expect(decodeReaderMessage('impinj', ndjson, 'p', NOW)).toHaveLength(2);
  });

  it('Zebra IoT Connector SIMPLE event: idHex upper-cased, peakRssi dBm, reads as count', () => {
    expect(decodeReaderMessage('zebra', F.ZEBRA_TAG_DATA, 'z', NOW)).toEqual([
      { reader: 'z', epc: 'E2801160600002083CBD72D8', antenna: 1, rssi: -41, ts: Date.parse('2021-04-15T16:09:40.453Z'), count: 1 },
    ]);
    expect(decodeReaderMessage('zebra', F.ZEBRA_BATCH, 'z', NOW).map((r) => [r.antenna, r.rssi, r.count])).toEqual([[3, -58, 4], [4, -49, 2]]);
    expect(decodeReaderMessage('zebra', F.ZEBRA_HEARTBEAT, 'z', NOW)).toEqual([]);
  });

  it('generic JSON: message ts as default, per-tag ts and count', () => {
    expect(decodeReaderMessage('generic', F.GENERIC_TAGS, 'g', NOW)).toEqual([
      { reader: 'g', epc: '3074257BF7194E4000001A85', antenna: 1, rssi: -60.5, ts: 1709287200000, count: 1, host: 'bridge-1' },
      { reader: 'g', epc: '3174257BF4499602D2000000', antenna: 2, rssi: -55, ts: 1709287200250, count: 3, host: 'bridge-1' },
    ]);
    expect(decodeReaderMessage('generic', '{"epc":"3074257BF7194E4000001A85","antenna":2}', 'g', NOW)).toEqual([
      { reader: 'g', epc: '3074257BF7194E4000001A85', antenna: 2, ts: NOW, count: 1 },
    ]);
  });

  it('garbage: coded errors naming the field', () => {
    expect(decodeError(() => decodeReaderMessage('impinj', 'not json', 'p'))).toEqual({ code: 'SP_ERR_DECODE', field: 'payload' });
    expect(decodeError(() => decodeReaderMessage('impinj', '', 'p'))).toEqual({ code: 'SP_ERR_DECODE', field: 'payload' });
    expect(decodeError(() => decodeReaderMessage('impinj', '{"eventType":"tagInventory","tagInventoryEvent":{"antennaPort":1}}', 'p')))
      .toEqual({ code: 'SP_ERR_DECODE', field: 'events.0.tagInventoryEvent.epcHex' });
    expect(decodeError(() => decodeReaderMessage('zebra', '{"data":{"format":"epc","idHex":"zz","antenna":1}}', 'z')))
      .toEqual({ code: 'SP_ERR_DECODE', field: 'events.0.data.idHex' });
    expect(decodeError(() => decodeReaderMessage('zebra', '{"data":{"format":"epc","idHex":"3074","antenna":"left"}}', 'z')))
      .toEqual({ code: 'SP_ERR_DECODE', field: 'events.0.data.antenna' });
    expect(decodeError(() => decodeReaderMessage('generic', '{"hello":1}', 'g'))).toEqual({ code: 'SP_ERR_DECODE', field: 'messages.0' });
  });
});
