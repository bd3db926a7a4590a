import { z } from 'zod';

// How one value sits in Modbus registers. Shared by the pure decoder, the polling driver,
// the edge config and the simulators, so they can never disagree on the layout.

// bool: one bit, 1/0 — a coil or discrete input, or a register read as "non-zero = on"
export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bool'] as const;
export const RegisterType = z.enum(REGISTER_TYPES);
export type RegisterType = z.infer<typeof RegisterType>;

/** registers each type occupies */
export const REGISTER_WIDTH: Record<RegisterType, number> = {
  int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4, bool: 1,
};

/** coils (FC 1) and discrete inputs (FC 2) hold single bits: a controller's defrost, door, compressor outputs */
export const BIT_AREAS: ReadonlySet<string> = new Set(['coil', 'discrete']);

export const RegisterPoint = z.object({
  /** 0-based register address (protocol address, not the 4xxxx "reference" number) */
  address: z.number().int().min(0).max(65535),
  /** holding registers (FC 3), input registers (FC 4), coils (FC 1) or discrete inputs (FC 2); the last two need type bool */
  area: z.enum(['holding', 'input', 'coil', 'discrete']).default('holding'),
  type: RegisterType,
  /** one bit (0 = least significant) of a 16-bit register, read as 1/0: a status word's defrost or door bit */
  bit: z.number().int().min(0).max(15).optional(),
  /** order of the two bytes inside each 16-bit register; Modbus itself is big-endian */
  byteOrder: z.enum(['big', 'little']).default('big'),
  /** order of the registers of a 32/64-bit value: big = most significant register first (ABCD), little = CDAB */
  wordOrder: z.enum(['big', 'little']).default('big'),
  /** engineering value = raw × scale + offset (e.g. scale 0.1 for tenths of a degree) */
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
}).strict().superRefine((p, ctx) => {
  if (BIT_AREAS.has(p.area) && p.type !== 'bool') ctx.addIssue({ code: 'custom', path: ['type'], message: `a ${p.area} holds one bit: use type bool` });
  if (p.bit !== undefined && p.type !== 'uint16' && p.type !== 'int16') ctx.addIssue({ code: 'custom', path: ['bit'], message: 'bit picks a bit of one 16-bit register: use type uint16' });
});
export type RegisterPoint = z.infer<typeof RegisterPoint>;
export type RegisterPointInput = z.input<typeof RegisterPoint>;
