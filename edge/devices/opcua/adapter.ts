import type { OpcUaDeviceConfig } from '../device-config.schema.ts';
import { badInputErrors } from '../bad-input-errors.ts';
import type { ProtocolAdapter } from '../driver-context.ts';
import { DriverGroup } from '../driver-group.ts';
import { OpcUaSubscriptionDriver } from './subscription-driver.ts';

// OPC UA servers (fridge controllers, PLCs): monitored items → readings for the cold-chain
// rules, like any probe. One subscription driver per server, each retrying on its own.
export const opcUaAdapter: ProtocolAdapter<OpcUaDeviceConfig> = {
  create: (devices, ctx) => new DriverGroup('opcua', devices.map((d) => new OpcUaSubscriptionDriver({
    id: d.id, endpoint: d.endpoint, samplingMs: d.samplingMs, points: d.points,
    onReading: (r, id) => ctx.emitReading(r, id), onError: badInputErrors(ctx),
  }))),
};
