import { z } from 'zod';
import { ReadingKind } from '../../protocols/reading.ts';
import { READER_FORMATS } from '../../protocols/rfid/tag-read.ts';
import { ScaleModbusLayout } from '../../protocols/scale/modbus-layout.ts';
import { PortalTuning } from '../rfid/portal-config.ts';
import { ExpectedDocument } from '../rfid/expected-documents.ts';
import { ScaleTuning } from '../scale/scale-config.ts';

// Gateway config of the stock-moving devices (docs/devices.md): RFID portals, scales on a
// serial line or Modbus TCP, and OPC UA servers. Joined into edge/config.schema.ts's device union.

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" or "." (no spaces or slashes)');

const DeviceBase = {
  id: Id,
  name: z.string().optional(),
  heartbeatSec: z.number().positive().default(60),
};

/** a scale's weight series: one sensor in one (temperature-)zone of the config, like any other */
const WeightPoint = z.object({ sensor: Id, zone: Id, kind: z.literal('weight'), name: z.string().optional() }).strict();

/** what the scale weighs; `zone` (ledger location) defaults to the weight point's zone */
export const ScaleWeighing = ScaleTuning.extend({ zone: z.string().min(1).optional() }).strict();

export const RfidPortalDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('rfid-portal'),
  /** MQTT topic the reader publishes its tag reports on (device broker) */
  topic: z.string().min(1),
  format: z.enum(READER_FORMATS),
  /** ledger location the goods cross into / out of (e.g. "dock") */
  zone: z.string().min(1),
  bin: z.string().optional(),
  outside: z.array(z.number().int().min(0)).min(1),
  inside: z.array(z.number().int().min(0)).min(1),
  ...PortalTuning.shape,
  /** expected receipts / open shipments known at start; the cloud replaces them later via setExpected() */
  expected: z.array(ExpectedDocument).default([]),
  /** a portal produces passes, not readings */
  points: z.array(z.never()).default([]),
}).strict();

const SerialLine = {
  /** /dev/ttyUSB0, /dev/serial/by-id/…, COM3 */
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
};

export const SerialScaleDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('serial-scale'),
  ...SerialLine,
  /** mt-sics: we poll with SI; continuous: the indicator streams ST,GS,… lines */
  mode: z.enum(['mt-sics', 'continuous']),
  pollMs: z.number().int().min(20).default(250),
  timeoutMs: z.number().int().min(20).default(1000),
  points: z.array(WeightPoint).length(1),
  weighing: ScaleWeighing,
}).strict();

export const ModbusScaleDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('modbus-scale'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  pollMs: z.number().int().min(50).default(250),
  timeoutMs: z.number().int().min(50).default(1000),
  layout: ScaleModbusLayout.default(ScaleModbusLayout.parse({})),
  points: z.array(WeightPoint).length(1),
  weighing: ScaleWeighing,
}).strict();

export const OpcUaPointConfig = z.object({
  sensor: Id,
  zone: Id,
  kind: ReadingKind,
  name: z.string().optional(),
  /** e.g. ns=1;s=Fridge.Temperature */
  nodeId: z.string().regex(/^(ns=\d+;)?[isgb]=.+$/, 'an OPC UA node id like ns=1;s=Fridge.Temperature or ns=3;i=1002'),
}).strict();

export const OpcUaDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('opcua'),
  endpoint: z.string().regex(/^opc\.tcp:\/\/.+/, 'an opc.tcp:// endpoint URL'),
  samplingMs: z.number().int().min(50).default(1000),
  points: z.array(OpcUaPointConfig).min(1),
}).strict();

export type RfidPortalDeviceConfig = z.infer<typeof RfidPortalDevice>;
export type SerialScaleDeviceConfig = z.infer<typeof SerialScaleDevice>;
export type ModbusScaleDeviceConfig = z.infer<typeof ModbusScaleDevice>;
export type OpcUaDeviceConfig = z.infer<typeof OpcUaDevice>;
export type StockDeviceConfig = RfidPortalDeviceConfig | SerialScaleDeviceConfig | ModbusScaleDeviceConfig | OpcUaDeviceConfig;

