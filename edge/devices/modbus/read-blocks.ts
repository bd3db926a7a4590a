import ModbusSerial from 'modbus-serial';
import { SpError, isSpError } from '../../../protocols/errors.ts';
import type { Reading, ReadingKind } from '../../../protocols/reading.ts';
import { decodeRegisters } from '../../../protocols/modbus/register-map.ts';
import { BIT_AREAS, REGISTER_WIDTH, type RegisterPoint } from '../../../protocols/modbus/register-map.schema.ts';
import { pointRegisters, type ReadBlock } from '../../../protocols/modbus/read-plan.ts';

// One poll of one slave, the same over TCP and RTU: read every planned block, decode each
// point, and tell apart the three ways it can go wrong:
//   - the transport fails (no answer, connection lost): thrown — the whole device is at fault;
//   - the slave answers with a Modbus exception: only the points of that request are at fault
//     (a block spanning a gap is split into single-point reads and retried at once);
//   - a register decodes to NaN / a sensor-error code: only that point is at fault.

export interface PlannedPoint {
  sensor: string;
  kind: ReadingKind;
  register: RegisterPoint;
}

// modbus-serial is CommonJS: its module object is the client class and also carries itself as
// `.default`, which is the spelling TypeScript (NodeNext) and Node's ESM loader agree on.
export const ModbusClientClass = ModbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusClientClass>;

/** A Modbus exception response: the slave answered, it just refused this address/function. */
export function modbusExceptionCode(e: unknown): number | undefined {
  const c = (e as { modbusCode?: unknown } | null)?.modbusCode;
  return typeof c === 'number' ? c : undefined;
}

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function', 2: 'illegal data address', 3: 'illegal data value', 4: 'slave device failure',
  6: 'slave device busy', 10: 'gateway path unavailable', 11: 'gateway target failed to respond',
};

export interface ReadBlocksHooks {
  /** wraps every library request (timeouts, stop) */
  guard<T>(p: Promise<T>): Promise<T>;
  onReading(r: Reading): void;
  onPointError(err: SpError, sensor: string): void;
}

/** One read request; coils and discrete inputs come back as 1/0 per bit (the library pads to whole bytes). */
async function readArea(client: ModbusClient, area: RegisterPoint['area'], start: number, count: number): Promise<number[]> {
  switch (area) {
    case 'holding': return (await client.readHoldingRegisters(start, count)).data;
    case 'input': return (await client.readInputRegisters(start, count)).data;
    case 'coil': return (await client.readCoils(start, count)).data.slice(0, count).map((b) => (b ? 1 : 0));
    case 'discrete': return (await client.readDiscreteInputs(start, count)).data.slice(0, count).map((b) => (b ? 1 : 0));
  }
}

/** Reads `blocks` (mutated in place when a block must be split) from `client`, already addressed to the slave. */
export async function readBlocks(client: ModbusClient, blocks: ReadBlock<PlannedPoint>[], h: ReadBlocksHooks): Promise<void> {
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    let data: number[];
    try {
      data = await h.guard(readArea(client, block.area, block.start, block.count));
    } catch (e) {
      const exc = modbusExceptionCode(e);
      if (exc === undefined) throw e;
      // The device is alive and answered. A request spanning several points may have hit an
      // unmapped register in a gap: from now on read those points one by one (retried now).
      if (block.points.length > 1) {
        blocks.splice(i, 1, ...block.points.map((p) => ({ area: block.area, start: p.register.address, count: REGISTER_WIDTH[p.register.type], points: [p] })));
        i -= 1;
        continue;
      }
      const p = block.points[0]!;
      h.onPointError(new SpError('SP_ERR_DEVICE', {
        field: p.sensor,
        reason: `Modbus exception ${exc} (${EXCEPTION_NAMES[exc] ?? 'unknown'}) reading ${block.area} ${BIT_AREAS.has(block.area) ? 'bits' : 'registers'} ${block.start}..${block.start + block.count - 1}`,
      }), p.sensor);
      continue;
    }
    const ts = Date.now();
    for (const p of block.points) {
      let value: number;
      try {
        value = decodeRegisters(pointRegisters(block, data, p.register), p.register);
      } catch (e) {
        const err = isSpError(e) ? e : new SpError('SP_ERR_MODBUS_REGISTERS', { field: 'registers', reason: String(e) });
        h.onPointError(new SpError(err.code, err.details.map((d) => ({ field: `${p.sensor}.${d.field}`, reason: d.reason }))), p.sensor);
        continue;
      }
      try {
        h.onReading({ sensor: p.sensor, kind: p.kind, ts, value, quality: 'good' });
      } catch { /* consumer bug: keep polling */ }
    }
  }
}

/** modbus-serial's transport errors → a reason a technician can act on. */
export function describeTransportError(e: unknown, timeoutMs: number): string {
  const err = e as { errno?: unknown; code?: unknown; message?: unknown };
  const code = [err.code, err.errno].find((c) => typeof c === 'string') ?? '';
  if (code === 'ETIMEDOUT' || err.message === 'Timed out') return `no answer within ${timeoutMs} ms`;
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listening on that port?)';
  if (code === 'ECONNRESET') return 'connection reset by the device';
  if (code === 'ENOENT') return 'no such serial port (unplugged? check the path)';
  if (code === 'EACCES') return 'permission denied on the serial port (add the gateway user to the dialout group)';
  if (err.message === 'Port Not Open') return 'connection lost';
  return typeof err.message === 'string' && err.message ? err.message : String(e);
}
