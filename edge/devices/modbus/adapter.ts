import type { SpError } from '../../../protocols/errors.ts';
import type { ModbusRtuDeviceConfig, ModbusTcpDeviceConfig } from '../../config.schema.ts';
import type { DriverContext, ProtocolAdapter } from '../driver-context.ts';
import { ModbusRtuPoller } from './rtu-poller.ts';
import { ModbusTcpPoller } from './tcp-poller.ts';

// Modbus controllers, over TCP or on an RS-485 line (RTU): polled, so their readings have
// nothing to acknowledge. A device failure (refused, no answer) is the driver's status; a point
// that cannot be read (an exception for its address, a register that decodes to NaN) is
// dead-lettered with its sensor.

const pointErrors = (ctx: DriverContext) => (deviceId: string, err: SpError, sensor?: string) => {
  ctx.log.debug({ device: deviceId, sensor, code: err.code }, err.message);
  if (sensor) ctx.deadLetters.add({ source: deviceId, code: err.code, reason: err.message, payload: `sensor ${sensor}` });
};

export const modbusTcpAdapter: ProtocolAdapter<ModbusTcpDeviceConfig> = {
  create: (devices, ctx) => new ModbusTcpPoller({ devices, onReading: (r, id) => ctx.emitReading(r, id), onError: pointErrors(ctx) }),
};

export const modbusRtuAdapter: ProtocolAdapter<ModbusRtuDeviceConfig> = {
  create: (devices, ctx) => new ModbusRtuPoller({ devices, onReading: (r, id) => ctx.emitReading(r, id), onError: pointErrors(ctx) }),
};
