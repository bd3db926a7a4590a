import { DataType, DataValue, OPCUAServer, Variant, StatusCodes, type Namespace } from 'node-opcua';
import type { DeviceFault } from '../faults.ts';
import type { ThermalZone } from '../thermal-model.ts';
import { freePort } from '../free-port.ts';
import { DeviceFaults, type SimDevice, type SimDeviceStatus } from './device.ts';

// A fridge controller with an OPC UA server (as Carel, Dixell/Emerson and Danfoss controllers
// offer through their gateways): Objects/Fridge with Temperature (°C, Double), Setpoint (°C,
// Double), DoorOpen (Boolean) and CompressorRunning (Boolean), string node ids
// ns=1;s=Fridge.Temperature etc. Values come from the zone's thermal model on every read.
// Faults: garbage → the temperature reports status BadSensorFailure; dropout → the server is
// stopped (restart() or clearing the fault brings it back on the same port).

export const OPCUA_FRIDGE_NODES = {
  temperature: 'ns=1;s=Fridge.Temperature',
  setpoint: 'ns=1;s=Fridge.Setpoint',
  door: 'ns=1;s=Fridge.DoorOpen',
  compressor: 'ns=1;s=Fridge.CompressorRunning',
} as const;

export interface OpcUaFridgeOptions {
  id: string;
  zoneId: string;
  zone: ThermalZone;
  /** 0 = a free port */
  port: number;
  host?: string;
  offsetC?: number;
}

export class OpcUaFridge implements SimDevice {
  readonly id: string;
  readonly zone: string;
  private server: OPCUAServer | undefined;
  private port: number;
  private readonly faults = new DeviceFaults();
  private last: SimDeviceStatus['last'] = null;
  private sent = 0;

  constructor(private readonly o: OpcUaFridgeOptions) {
    this.id = o.id;
    this.zone = o.zoneId;
    this.port = o.port;
  }

  get endpoint(): string {
    return `opc.tcp://${this.o.host ?? '127.0.0.1'}:${this.port}/UA/Fridge`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    if (this.port === 0) this.port = await freePort(this.o.host ?? '127.0.0.1');
    const server = new OPCUAServer({
      port: this.port, hostname: this.o.host ?? '127.0.0.1', resourcePath: '/UA/Fridge',
      buildInfo: { productName: 'stockpulse simulated fridge controller', manufacturerName: 'stockpulse' },
      // simulators speak unsecured OPC UA on loopback; a real site sets up certificates
      securityModes: undefined, allowAnonymous: true,
    });
    await server.initialize();
    this.populate(server.engine.addressSpace!.getOwnNamespace());
    await server.start();
    this.server = server;
  }

  private populate(ns: Namespace): void {
    const objects = ns.addressSpace.rootFolder.objects;
    const fridge = ns.addObject({ organizedBy: objects, browseName: 'Fridge' });
    const z = this.o.zone;
    const value = (dataType: DataType, get: () => number | boolean, bad?: () => boolean) => ({
      timestamped_get: () => {
        this.sent++;
        const now = new Date();
        if (bad?.()) return new DataValue({ value: new Variant({ dataType, value: dataType === DataType.Double ? 0 : false }), statusCode: StatusCodes.BadSensorFailure, sourceTimestamp: now, serverTimestamp: now });
        return new DataValue({ value: new Variant({ dataType, value: get() }), statusCode: StatusCodes.Good, sourceTimestamp: now, serverTimestamp: now });
      },
    });
    const temperature = () => {
      const t = Math.round(z.measure(this.o.offsetC ?? 0) * 100) / 100;
      const s = z.state();
      this.last = { temperature: t, setPoint: z.setPoint, doorOpen: s.doorOpen, compressorRunning: s.compressorRunning };
      return t;
    };
    ns.addVariable({ componentOf: fridge, browseName: 'Temperature', nodeId: 's=Fridge.Temperature', minimumSamplingInterval: 100, dataType: 'Double', value: value(DataType.Double, temperature, () => this.faults.has('garbage')) });
    ns.addVariable({ componentOf: fridge, browseName: 'Setpoint', nodeId: 's=Fridge.Setpoint', minimumSamplingInterval: 100, dataType: 'Double', value: value(DataType.Double, () => z.setPoint) });
    ns.addVariable({ componentOf: fridge, browseName: 'DoorOpen', nodeId: 's=Fridge.DoorOpen', minimumSamplingInterval: 100, dataType: 'Boolean', value: value(DataType.Boolean, () => z.state().doorOpen) });
    ns.addVariable({ componentOf: fridge, browseName: 'CompressorRunning', nodeId: 's=Fridge.CompressorRunning', minimumSamplingInterval: 100, dataType: 'Boolean', value: value(DataType.Boolean, () => z.state().compressorRunning) });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await s.shutdown(0);
  }

  /** Stops and starts again on the same port: a controller reboot. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  setFault(fault: DeviceFault, active: boolean): void {
    this.faults.set(fault, active);
    if (fault === 'dropout') void (active ? this.stop() : this.start());
  }

  status(): SimDeviceStatus {
    return { id: this.id, zone: this.zone, kind: 'opcua-fridge', endpoint: this.endpoint, faults: this.faults.list(), last: this.last, sent: this.sent };
  }
}
