import { SpError } from '../../protocols/errors.ts';
import type { DeviceConfigLike, ProtocolAdapter } from './driver-context.ts';

// Protocol → adapter. The gateway builds one driver per configured protocol from here, in one
// loop, and knows no protocol by name. Adding a protocol: its own folder under edge/devices/
// (driver + adapter), its config schema in the device union, and one line below.
//
// Each adapter is imported when a device of its protocol is configured, not before: node-opcua
// takes a second to load, serialport and modbus-serial are native or heavy, and a gateway box
// with MQTT probes only should carry none of them (the edge bundle keeps them in chunks).

type AdapterLoader = () => Promise<ProtocolAdapter<any>>;

const adapters = new Map<string, AdapterLoader>([
  ['mqtt-json', async () => (await import('./mqtt-json/adapter.ts')).mqttJsonAdapter],
  ['modbus-tcp', async () => (await import('./modbus/adapter.ts')).modbusTcpAdapter],
  ['modbus-rtu', async () => (await import('./modbus/adapter.ts')).modbusRtuAdapter],
  ['rfid-portal', async () => (await import('./rfid-portal/portal-adapter.ts')).rfidPortalAdapter],
  ['serial-scale', async () => (await import('./scale/scale-adapter.ts')).serialScaleAdapter],
  ['modbus-scale', async () => (await import('./scale/scale-adapter.ts')).modbusScaleAdapter],
  ['opcua', async () => (await import('./opcua/adapter.ts')).opcUaAdapter],
]);

/**
 * Adds (or replaces) a protocol at run time — a plug-in, or a test proving that a protocol
 * needs nothing but its adapter. Returns the function that takes it out again.
 */
export function registerProtocol<D extends DeviceConfigLike>(protocol: string, adapter: ProtocolAdapter<D> | (() => Promise<ProtocolAdapter<D>>)): () => void {
  const before = adapters.get(protocol);
  adapters.set(protocol, typeof adapter === 'function' ? adapter : async () => adapter);
  return () => { if (before) adapters.set(protocol, before); else adapters.delete(protocol); };
}

export function knownProtocols(): string[] {
  return [...adapters.keys()];
}

/** The configured devices grouped by protocol (config order), each with its adapter loaded. */
export async function adaptersFor<D extends DeviceConfigLike>(devices: readonly D[]): Promise<{ protocol: string; adapter: ProtocolAdapter<D>; devices: D[] }[]> {
  const groups = new Map<string, D[]>();
  for (const d of devices) groups.set(d.protocol, [...(groups.get(d.protocol) ?? []), d]);
  return Promise.all([...groups].map(async ([protocol, ds]) => {
    const load = adapters.get(protocol);
    // the config schema lists the same protocols: this is a registry line missing, not a user error
    if (!load) throw new SpError('SP_ERR_CONFIG', { field: `devices.${ds[0]!.id}.protocol`, reason: `no adapter registered for protocol "${protocol}" (known: ${knownProtocols().join(', ')})` });
    return { protocol, adapter: (await load()) as ProtocolAdapter<D>, devices: ds };
  }));
}
