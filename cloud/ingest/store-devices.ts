import type { DeviceStatusEvent, GatewayManifest } from '../../protocols/uplink/contract.ts';
import type { Queryable } from '../db/engine.ts';

// The `devices` table (migration 0003), written inside the batch transaction of store-batch.ts:
// the manifest declares the devices, health events move their state. A gateway sends a status
// event only when a device's state changes, so every event matters; an event older than the
// stored one (resent, or a late batch of another stream) leaves the row alone.

export async function storeManifestDevices(q: Queryable, gateway: string, m: GatewayManifest): Promise<void> {
  const zoneOf = new Map(m.sensors.map((s) => [s.id, s.zone]));
  for (const d of m.devices) {
    // The device's zone is its first sensor's zone, as on the gateway (edge/health).
    const zone = d.sensors.map((s) => zoneOf.get(s)).find((z) => z !== undefined) ?? null;
    await q.query(
      `INSERT INTO devices (gateway, id, zone, protocol, name, heartbeat_sec, sensors, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())
       ON CONFLICT (gateway, id) DO UPDATE SET zone = $3, protocol = $4, name = $5, heartbeat_sec = $6,
         sensors = $7::jsonb, updated_at = now()`,
      [gateway, d.id, zone, d.protocol, d.name ?? null, d.heartbeatSec, JSON.stringify(d.sensors)],
    );
  }
}

export async function storeDeviceEvents(q: Queryable, gateway: string, events: readonly DeviceStatusEvent[]): Promise<void> {
  for (const e of events) {
    // battery/signal/lastSeen absent from an event mean "not reported", not "gone": keep the
    // stored values. The last error is kept after recovery so an operator can see what happened.
    await q.query(
      `INSERT INTO devices AS d (gateway, id, state, state_at, last_seen, battery, signal, last_error, updated_at)
       VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0), $6, $7, $8::jsonb, now())
       ON CONFLICT (gateway, id) DO UPDATE SET
         state = excluded.state, state_at = excluded.state_at,
         last_seen = CASE WHEN d.last_seen IS NULL OR excluded.last_seen > d.last_seen THEN coalesce(excluded.last_seen, d.last_seen) ELSE d.last_seen END,
         battery = coalesce(excluded.battery, d.battery), signal = coalesce(excluded.signal, d.signal),
         last_error = coalesce(excluded.last_error, d.last_error), updated_at = now()
       WHERE d.state_at IS NULL OR d.state_at <= excluded.state_at`,
      [gateway, e.device, e.state, e.ts, e.lastSeen ?? null, e.battery ?? null, e.signal ?? null, e.error ? JSON.stringify(e.error) : null],
    );
    // A gateway restarted while a device was offline forgot the alert it raised, so it never
    // sends that alert's `cleared`; the device being online again (reported after the raise)
    // is the proof. Alert ids are zone:device_offline:device:ts (edge/health/device-health.ts).
    if (e.state === 'online') {
      await q.query(
        `UPDATE alerts SET state = 'cleared', cleared_at = to_timestamp($3 / 1000.0)
          WHERE gateway = $1 AND rule = 'device_offline' AND state = 'active'
            AND split_part(id, ':', 3) = $2 AND raised_at <= to_timestamp($3 / 1000.0)`,
        [gateway, e.device, e.ts],
      );
    }
  }
}
