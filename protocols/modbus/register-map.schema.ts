import { z } from 'zod';

// How one value sits in Modbus registers. Shared by the pure decoder, the polling driver,
// the edge config and the simulators, so they can never disagree on the layout.

export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export const RegisterType = z.enum(REGISTER_TYPES);
export type RegisterType = z.infer<typeof RegisterType>;

/** registers each type occupies */
export const REGISTER_WIDTH: Record<RegisterType, number> = {
  int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4,
};

export const RegisterPoint = z.object({
  /** 0-based register address (protocol address, not the 4xxxx "reference" number) */
  address: z.number().int().min(0).max(65535),
  /** holding registers (FC 3) or input registers (FC 4) */
  area: z.enum(['holding', 'input']).default('holding'),
  type: RegisterType,
  /** order of the two bytes inside each 16-bit register; Modbus itself is big-endian */
  byteOrder: z.enum(['big', 'little']).default('big'),
  /** order of the registers of a 32/64-bit value: big = most significant register first (ABCD), little = CDAB */
  wordOrder: z.enum(['big', 'little']).default('big'),
  /** engineering value = raw × scale + offset (e.g. scale 0.1 for tenths of a degree) */
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
}).strict();
export type RegisterPoint = z.infer<typeof RegisterPoint>;
export type RegisterPointInput = z.input<typeof RegisterPoint>;
