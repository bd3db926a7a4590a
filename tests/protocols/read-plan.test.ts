import { describe, expect, it } from 'vitest';
import { planReads, pointRegisters } from '../../protocols/modbus/read-plan.ts';
import { parseRegisterPoint } from '../../protocols/modbus/register-map.ts';
import type { RegisterPointInput } from '../../protocols/modbus/register-map.schema.ts';

const pt = (sensor: string, r: RegisterPointInput) => ({ sensor, register: parseRegisterPoint(r) });
const shape = (blocks: ReturnType<typeof planReads<ReturnType<typeof pt>>>) =>
  blocks.map((b) => ({ area: b.area, start: b.start, count: b.count, sensors: b.points.map((p) => p.sensor) }));

describe('planReads', () => {
  it('merges contiguous and nearby points per area, in address order', () => {
    const blocks = planReads([
      pt('c', { address: 8, type: 'int16' }),
      pt('a', { address: 0, type: 'float32' }),
      pt('b', { address: 2, type: 'float64' }),    // 2..5
      pt('i', { address: 0, area: 'input', type: 'uint16' }),
      pt('far', { address: 100, type: 'int16' }),
    ]);
    expect(shape(blocks)).toEqual([
      { area: 'holding', start: 0, count: 9, sensors: ['a', 'b', 'c'] }, // gap 6..7 read through
      { area: 'holding', start: 100, count: 1, sensors: ['far'] },
      { area: 'input', start: 0, count: 1, sensors: ['i'] },
    ]);
  });

  it('maxGap 0 keeps only touching points together; overlapping points share a request', () => {
    const points = [pt('a', { address: 0, type: 'float32' }), pt('a2', { address: 0, type: 'int16' }), pt('b', { address: 3, type: 'int16' })];
    expect(shape(planReads(points, { maxGap: 0 }))).toEqual([
      { area: 'holding', start: 0, count: 2, sensors: ['a', 'a2'] },
      { area: 'holding', start: 3, count: 1, sensors: ['b'] },
    ]);
  });

  it('never exceeds 125 registers per request', () => {
    const points = Array.from({ length: 100 }, (_, i) => pt(`p${i}`, { address: i * 2, type: 'float32' }));
    const blocks = planReads(points);
    expect(blocks.every((b) => b.count <= 125)).toBe(true);
    expect(blocks.flatMap((b) => b.points)).toHaveLength(100);
    expect(blocks).toHaveLength(2);
  });

  it('rejects a value running past register 65535', () => {
    expect(() => planReads([pt('x', { address: 65535, type: 'float32' })])).toThrow(expect.objectContaining({ code: 'SP_ERR_MODBUS_MAP' }));
  });

  it('pointRegisters slices a point out of its block', () => {
    const r = parseRegisterPoint({ address: 12, type: 'float32' });
    expect(pointRegisters({ start: 10 }, [0, 1, 2, 3, 4], r)).toEqual([2, 3]);
  });
});
