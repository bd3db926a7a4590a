import type { Reading } from '../reading.ts';
import { cleanId, cleanJson, cleanText, isCleanText, MAX_ID } from '../text.ts';
import type { AlertEvent, DeviceStatusEvent, GatewayManifest, MovementEvent } from './contract.ts';

// Every text field of every uplink message made storable (protocols/text.ts): what the edge
// puts in its outbox is what the cloud can store, so no device byte can poison a batch. An
// object that is already clean is returned as is (no copy on the readings' hot path).

/** ids the contract requires non-empty stay non-empty (an empty one would fail the whole batch's validation) */
const id = (s: string) => (s === '' ? '\uFFFD' : isCleanText(s, MAX_ID) ? s : cleanId(s));

export function cleanReading(r: Reading): Reading {
  return r.sensor !== '' && isCleanText(r.sensor, MAX_ID) ? r : { ...r, sensor: id(r.sensor) };
}

export function cleanAlert(a: AlertEvent): AlertEvent {
  return { ...a, id: id(a.id), zone: id(a.zone), ...(a.sensor !== undefined ? { sensor: cleanId(a.sensor) } : {}), message: cleanText(a.message) };
}

export function cleanDeviceEvent(e: DeviceStatusEvent): DeviceStatusEvent {
  return { ...e, device: id(e.device), ...(e.error ? { error: { code: cleanId(e.error.code), message: cleanText(e.error.message) } } : {}) };
}

export function cleanMovement(m: MovementEvent): MovementEvent {
  return {
    ...m,
    id: id(m.id),
    item: { ...(m.item.gtin !== undefined ? { gtin: cleanId(m.item.gtin) } : {}), ...(m.item.sku !== undefined ? { sku: cleanId(m.item.sku) } : {}) },
    unit: cleanId(m.unit),
    location: { zone: id(m.location.zone), ...(m.location.bin !== undefined ? { bin: cleanId(m.location.bin) } : {}) },
    ...(m.lot !== undefined ? { lot: cleanId(m.lot) } : {}),
    ...(m.document !== undefined ? { document: cleanId(m.document) } : {}),
    source: { ...m.source, device: id(m.source.device) },
    evidence: cleanJson(m.evidence) as Record<string, unknown>,
  };
}

export function cleanManifest(m: GatewayManifest): GatewayManifest {
  return {
    site: id(m.site),
    zones: m.zones.map((z) => ({ ...z, id: id(z.id), name: cleanText(z.name, MAX_ID) })),
    sensors: m.sensors.map((s) => ({
      ...s, id: id(s.id), zone: id(s.zone), kind: id(s.kind), unit: cleanId(s.unit), protocol: cleanId(s.protocol),
      ...(s.name !== undefined ? { name: cleanText(s.name, MAX_ID) } : {}),
    })),
    devices: (m.devices ?? []).map((d) => ({
      ...d, id: id(d.id), protocol: cleanId(d.protocol), sensors: d.sensors.map(id),
      ...(d.name !== undefined ? { name: cleanText(d.name, MAX_ID) } : {}),
    })),
  };
}
