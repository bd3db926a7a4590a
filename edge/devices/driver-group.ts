import type { DeviceDriver, DriverStatus } from '../../protocols/driver.ts';

/**
 * Drivers of one device each (a scale, an OPC UA server) as one driver of the protocol: started
 * together, each retrying on its own, so one failing device never stops the others.
 */
export class DriverGroup implements DeviceDriver {
  private readonly byId: Map<string, DeviceDriver>;

  constructor(readonly id: string, readonly drivers: readonly DeviceDriver[]) {
    this.byId = new Map(drivers.map((d) => [d.id, d]));
  }

  async start(): Promise<void> {
    await Promise.all(this.drivers.map((d) => d.start()));
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.drivers.map((d) => d.stop()));
  }

  status(): DriverStatus {
    const all = this.drivers.map((d) => d.status());
    const okAts = all.flatMap((s) => (s.lastOkAt === undefined ? [] : [s.lastOkAt]));
    return {
      state: all.length && all.every((s) => s.state === 'failed') ? 'failed' : all.some((s) => s.state === 'running') ? 'running' : all[0]?.state ?? 'stopped',
      failures: all.reduce((n, s) => n + s.failures, 0),
      reconnects: all.reduce((n, s) => n + s.reconnects, 0),
      ...(okAts.length ? { lastOkAt: Math.max(...okAts) } : {}),
    };
  }

  deviceStatus(deviceId: string): DriverStatus | undefined {
    return this.byId.get(deviceId)?.status();
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return Object.assign({}, ...this.drivers.map((d) => d.deviceStatuses()));
  }
}
