import { describe, expect, it } from 'vitest';
import { decodeMqttJson, decodeMqttJsonDetailed } from '../../protocols/mqtt-json/decode.ts';
import { SpError } from '../../protocols/errors.ts';
import * as F from './fixtures/mqtt-json-frames.ts';

const RX = 1_764_100_000_000; // receive time used when the device sends no timestamp

function decodeError(fn: () => unknown): SpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpError);
    expect((e as SpError).code).toBe('SP_ERR_DECODE');
    return e as SpError;
  }
  throw new Error('expected SP_ERR_DECODE');
}

describe('generic / simulator payloads', () => {
  it('decodes temperature and battery with the device timestamp', () => {
    const r = decodeMqttJson(F.GENERIC_TEMPERATURE, [
      { sensor: 'chiller-t', kind: 'temperature' },
      { sensor: 'chiller-b', kind: 'battery' },
    ], RX);
    expect(r).toEqual([
      { sensor: 'chiller-t', kind: 'temperature', ts: 1764096000000, value: 4.21, quality: 'good' },
      { sensor: 'chiller-b', kind: 'battery', ts: 1764096000000, value: 97, quality: 'good' },
    ]);
  });

  it('decodes a door "open" as 1 and "closed" as 0, from a Buffer too', () => {
    expect(decodeMqttJson(Buffer.from(F.GENERIC_DOOR_OPEN), [{ sensor: 'dock', kind: 'door' }], RX)[0]!.value).toBe(1);
    expect(decodeMqttJson('{"door":"closed"}', [{ sensor: 'dock', kind: 'door' }], RX)[0]!.value).toBe(0);
  });
});

describe('zigbee2mqtt', () => {
  it('Aqara WSDCGQ11LM: temperature, humidity, battery; no device time → receive time', () => {
    const r = decodeMqttJson(F.Z2M_AQARA_WSDCGQ11LM, [
      { sensor: 't', kind: 'temperature' },
      { sensor: 'h', kind: 'humidity' },
      { sensor: 'b', kind: 'battery' },
    ], RX);
    expect(r.map((x) => [x.sensor, x.value, x.ts])).toEqual([['t', 7.14, RX], ['h', 67.1, RX], ['b', 74, RX]]);
  });

  it('contact=false means the door is OPEN (1), contact=true CLOSED (0)', () => {
    expect(decodeMqttJson(F.Z2M_CONTACT_OPEN, [{ sensor: 'd', kind: 'door' }], RX)[0]!.value).toBe(1);
    expect(decodeMqttJson(F.Z2M_CONTACT_CLOSED, [{ sensor: 'd', kind: 'door' }], RX)[0]!.value).toBe(0);
    // also when the point names the field explicitly
    expect(decodeMqttJson(F.Z2M_CONTACT_OPEN, [{ sensor: 'd', kind: 'door', field: 'contact' }], RX)[0]!.value).toBe(1);
  });

  it('accepts a numeric string (battery "100.00" from some converters)', () => {
    expect(decodeMqttJson(F.Z2M_MCCGQ01LM_STRING_BATTERY, [{ sensor: 'b', kind: 'battery' }], RX)[0]!.value).toBe(100);
  });

  it('battery_low: true marks every reading of the message uncertain', () => {
    const r = decodeMqttJson('{"temperature":3.9,"battery_low":true}', [{ sensor: 't', kind: 'temperature' }], RX);
    expect(r[0]!.quality).toBe('uncertain');
  });

  it('does not take linkquality (LQI) as signal dBm unless asked', () => {
    const d = decodeMqttJsonDetailed(F.Z2M_AQARA_WSDCGQ11LM, [{ sensor: 's', kind: 'signal' }], RX);
    expect(d.readings).toEqual([]);
    expect(decodeMqttJson(F.Z2M_AQARA_WSDCGQ11LM, [{ sensor: 's', kind: 'signal', field: 'linkquality' }], RX)[0]!.value).toBe(70);
  });
});

describe('Tasmota tele/SENSOR', () => {
  it('DS18B20 in °C, Time as local ISO', () => {
    const [r] = decodeMqttJson(F.TASMOTA_DS18B20_C, [{ sensor: 't', kind: 'temperature' }], RX);
    expect(r!.value).toBe(21);
    expect(r!.ts).toBe(new Date(2023, 7, 27, 19, 20, 20).getTime());
  });

  it('several sensors: the first by default, any by dotted path', () => {
    expect(decodeMqttJson(F.TASMOTA_DS18B20_BME280, [{ sensor: 't', kind: 'temperature' }], RX)[0]!.value).toBe(27.9);
    expect(decodeMqttJson(F.TASMOTA_DS18B20_BME280, [{ sensor: 't', kind: 'temperature', field: 'BME280.Temperature' }], RX)[0]!.value).toBe(27.8);
    expect(decodeMqttJson(F.TASMOTA_DS18B20_BME280, [{ sensor: 'h', kind: 'humidity' }], RX)[0]!.value).toBe(54.5);
  });

  it('TempUnit "F" is converted to °C (humidity is left alone)', () => {
    const r = decodeMqttJson(F.TASMOTA_SCD30_F, [{ sensor: 't', kind: 'temperature' }, { sensor: 'h', kind: 'humidity' }], RX);
    expect(r[0]!.value).toBeCloseTo((71.8 - 32) / 1.8, 6);
    expect(r[1]!.value).toBe(61.6);
  });
});

describe('Shelly gen2', () => {
  it('NotifyFullStatus: temperature:0.tC, humidity:0.rh, battery percent, wifi rssi; params.ts in seconds', () => {
    const r = decodeMqttJson(F.SHELLY_PLUS_HT_FULL_STATUS, [
      { sensor: 't', kind: 'temperature' },
      { sensor: 'h', kind: 'humidity' },
      { sensor: 'b', kind: 'battery' },
    ], RX);
    expect(r.map((x) => x.value)).toEqual([19, 57.6, 0]);
    expect(r[0]!.ts).toBe(1669541352210);
  });

  it('NotifyStatus delta and the bare status/temperature:0 payload', () => {
    const [a] = decodeMqttJson(F.SHELLY_NOTIFY_STATUS_TEMPERATURE, [{ sensor: 't', kind: 'temperature' }], RX);
    expect(a).toMatchObject({ value: 19.8, ts: 1759928007860 });
    const [b] = decodeMqttJson(F.SHELLY_STATUS_TEMPERATURE_0, [{ sensor: 't', kind: 'temperature' }], RX);
    expect(b).toMatchObject({ value: 19.8, ts: RX });
  });

  it('an explicit path to tF is converted to °C', () => {
    const [r] = decodeMqttJson(F.SHELLY_STATUS_TEMPERATURE_0, [{ sensor: 't', kind: 'temperature', field: 'tF' }], RX);
    expect(r!.value).toBeCloseTo(19.78, 1);
  });
});

describe('timestamps', () => {
  const t = (payload: string) => decodeMqttJson(payload, [{ sensor: 's', kind: 'temperature' }], RX)[0]!.ts;
  it('epoch ms, epoch s, ISO with zone, numeric string', () => {
    expect(t('{"ts":1764096000000,"temperature":1}')).toBe(1764096000000);
    expect(t('{"time":1764096000,"temperature":1}')).toBe(1764096000000);
    expect(t('{"timestamp":"2025-11-25T18:40:00Z","temperature":1}')).toBe(Date.UTC(2025, 10, 25, 18, 40));
    expect(t('{"ts":"1764096000","temperature":1}')).toBe(1764096000000);
  });
  it('an unparseable timestamp rejects the payload, naming the key', () => {
    const e = decodeError(() => t('{"timestamp":"yesterday","temperature":1}'));
    expect(e.details[0]).toMatchObject({ field: 'timestamp' });
    expect(e.details[0]!.reason).toMatch(/unparseable timestamp/);
    expect(decodeError(() => t('{"ts":-5,"temperature":1}')).details[0]!.field).toBe('ts');
    expect(decodeError(() => t('{"ts":true,"temperature":1}')).details[0]!.field).toBe('ts');
  });
  it('a microsecond clock (past year 9999 as ms) is refused, not stored as a date no database takes', () => {
    const e = decodeError(() => t('{"ts":1764096000000000,"temperature":1}'));
    expect(e.details[0]).toMatchObject({ field: 'ts', reason: expect.stringMatching(/after year 9999.*epoch ms/) });
    expect(t('{"ts":253402300799999,"temperature":1}')).toBe(253402300799999); // the last ms of 9999 still passes
  });
});

describe('errors and partial payloads', () => {
  it('not JSON / not an object / empty → field payload', () => {
    for (const bad of ['{"temperature":', '[1,2]', '42', 'null', '', '   ']) {
      const e = decodeError(() => decodeMqttJson(bad, [{ sensor: 's', kind: 'temperature' }], RX));
      expect(e.details[0]!.field).toBe('payload');
    }
    expect(decodeError(() => decodeMqttJson('{"temperature":', [{ sensor: 's', kind: 'temperature' }], RX)).details[0]!.reason).toMatch(/not JSON/);
    expect(decodeError(() => decodeMqttJson('[1]', [{ sensor: 's', kind: 'temperature' }], RX)).details[0]!.reason).toMatch(/not a JSON object/);
  });

  it('a present but non-numeric value names the field', () => {
    const e = decodeError(() => decodeMqttJson('{"temperature":"warm"}', [{ sensor: 's', kind: 'temperature' }], RX));
    expect(e.details).toEqual([{ field: 'temperature', reason: '"warm" is not a finite number' }]);
  });

  it('a fully unusable payload throws, listing what was looked for', () => {
    const e = decodeError(() => decodeMqttJson('{"foo":1}', [{ sensor: 's', kind: 'temperature' }, { sensor: 'x', kind: 'humidity', field: 'a.b' }], RX));
    expect(e.details.map((d) => d.field)).toEqual(['temperature', 'a.b']);
    expect(e.details[0]!.reason).toMatch(/value missing/);
  });

  it('partial payload: returns the points present; detailed variant reports missing and bad ones', () => {
    const points = [
      { sensor: 't', kind: 'temperature' as const },
      { sensor: 'd', kind: 'door' as const },
      { sensor: 'b', kind: 'battery' as const },
    ];
    const payload = '{"temperature":4.2,"battery":null}';
    expect(decodeMqttJson(payload, points, RX).map((r) => r.sensor)).toEqual(['t']);
    const d = decodeMqttJsonDetailed(payload, points, RX);
    expect(d.problems).toEqual([
      expect.objectContaining({ sensor: 'd', field: 'door', missing: true }),
      expect.objectContaining({ sensor: 'b', field: 'battery', missing: false, reason: expect.stringMatching(/null/) }),
    ]);
  });

  it('rejects a bad door state and an empty point list', () => {
    expect(decodeError(() => decodeMqttJson('{"door":"ajar"}', [{ sensor: 'd', kind: 'door' }], RX)).details[0]!.field).toBe('door');
    expect(decodeError(() => decodeMqttJson('{"door":"open"}', [], RX)).details[0]!.field).toBe('points');
  });

  it('compressor on/off', () => {
    expect(decodeMqttJson('{"compressor":"ON"}', [{ sensor: 'c', kind: 'compressor' }], RX)[0]!.value).toBe(1);
    expect(decodeMqttJson('{"compressor":false}', [{ sensor: 'c', kind: 'compressor' }], RX)[0]!.value).toBe(0);
  });
});

describe('payload-level faults and framing (the frame is read where it lies)', () => {
  const points = [{ sensor: 't1', kind: 'temperature' as const, field: 'value' }];
  const codeOf = (payload: Buffer | Uint8Array | string) => {
    try {
      decodeMqttJsonDetailed(payload, points, 0);
    } catch (e) {
      return e instanceof SpError ? `${e.code} ${e.details.map((d) => d.reason).join('; ')}` : String(e);
    }
    return 'decoded';
  };

  it('an empty or blank frame is SP_ERR_DECODE "empty payload"; garbage is "not JSON"; a bare BOM is empty', () => {
    expect(codeOf(Buffer.alloc(0))).toBe('SP_ERR_DECODE empty payload');
    expect(codeOf(Buffer.from(' \n\t '))).toBe('SP_ERR_DECODE empty payload');
    expect(codeOf('\uFEFF')).toBe('SP_ERR_DECODE empty payload');
    expect(codeOf(Buffer.from('{"value": 4'))).toMatch(/^SP_ERR_DECODE not JSON/);
    expect(codeOf(Buffer.from('[1,2]'))).toBe('SP_ERR_DECODE not a JSON object (got an array)');
  });

  it('one leading BOM is skipped; a Uint8Array that is a view into a larger buffer decodes only its own bytes', () => {
    expect(decodeMqttJsonDetailed(Buffer.from('\uFEFF{"value": 4.5, "ts": 1000}'), points, 0).readings).toEqual([
      { sensor: 't1', kind: 'temperature', ts: 1_000_000, value: 4.5, quality: 'good' },
    ]);
    const whole = new TextEncoder().encode('xx{"value": 7, "ts": 1790000000000}yy');
    const view = new Uint8Array(whole.buffer, 2, whole.length - 4);
    expect(decodeMqttJsonDetailed(view, points, 0).readings.map((r) => [r.value, r.ts])).toEqual([[7, 1_790_000_000_000]]);
  });
});
