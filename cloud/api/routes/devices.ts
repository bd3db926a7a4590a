import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { ErrorBody } from '../schemas.ts';

// GET /api/devices: every device of every gateway with its health. State, last error and
// battery/signal come from the gateways' status events (sent on change only); the readings
// that arrive in between keep lastSeen and battery/signal fresh through the sensors' latest
// values, so a device that reports every minute does not look an hour old.

export const DEVICE_STATES = ['online', 'offline', 'failed', 'unknown'] as const;

export const Device = z.object({
  id: z.string(),
  gateway: z.string(),
  name: z.string().nullable(),
  zone: z.string().nullable(),
  protocol: z.string(),
  heartbeatSec: z.number().nullable(),
  state: z.enum(DEVICE_STATES).describe('unknown until the gateway has reported the device'),
  stateSince: z.number().nullable().describe('epoch ms of the event that set the state'),
  lastSeen: z.number().nullable().describe('epoch ms of the last frame or successful poll'),
  ageSec: z.number().nullable().describe('seconds since lastSeen, on the server clock'),
  battery: z.number().nullable().describe('% when the device reports it'),
  signal: z.number().nullable().describe('dBm (or the device\'s own link-quality figure) when it reports it'),
  lastError: z.object({ code: z.string(), message: z.string() }).nullable().describe('most recent failure, kept after recovery'),
  sensors: z.array(z.object({ id: z.string(), kind: z.string(), unit: z.string(), lastValue: z.number().nullable(), lastTs: z.number().nullable() })),
});
export type Device = z.infer<typeof Device>;

export const DevicesQuery = z.object({
  state: z.enum(DEVICE_STATES).optional(),
  gateway: z.string().min(1).optional(),
  zone: z.string().min(1).optional(),
});

interface DeviceRow {
  gateway: string; id: string; zone: string | null; protocol: string; name: string | null; heartbeat_sec: number | null;
  sensors: unknown; state: Device['state']; state_at: Date | null; last_seen: Date | null;
  battery: number | null; signal: number | null; last_error: unknown;
}
interface SensorRow { id: string; gateway: string; kind: string; unit: string; last_ts: Date | null; last_value: number | null }

const asError = (v: unknown): Device['lastError'] => {
  const e = v as { code?: unknown; message?: unknown } | null;
  return e && typeof e.code === 'string' && typeof e.message === 'string' ? { code: e.code, message: e.message } : null;
};

export const deviceRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/devices', {
    schema: {
      tags: ['devices'],
      summary: 'devices with state (online/offline/failed), last seen and its age, battery, signal, last error and sensors',
      querystring: DevicesQuery,
      response: { 200: z.array(Device), 400: ErrorBody },
    },
  }, async (req) => {
    const { state, gateway, zone } = req.query;
    const [devices, sensors] = await Promise.all([
      db.query<DeviceRow>(
        `SELECT * FROM devices WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR gateway = $2) AND ($3::text IS NULL OR zone = $3)
         ORDER BY gateway, zone NULLS LAST, id`,
        [state ?? null, gateway ?? null, zone ?? null],
      ),
      db.query<SensorRow>('SELECT id, gateway, kind, unit, last_ts, last_value FROM sensors'),
    ]);
    const sensorById = new Map(sensors.map((s) => [`${s.gateway}\u0000${s.id}`, s]));
    const now = Date.now();
    return devices.map((d): Device => {
      const ids = Array.isArray(d.sensors) ? d.sensors.filter((x): x is string => typeof x === 'string') : [];
      const mine = ids.map((id) => sensorById.get(`${d.gateway}\u0000${id}`)).filter((s): s is SensorRow => s !== undefined);
      const latestOf = (kind: string) => mine.filter((s) => s.kind === kind && s.last_value !== null && s.last_ts)
        .sort((a, b) => b.last_ts!.getTime() - a.last_ts!.getTime())[0]?.last_value ?? null;
      const seen = [d.last_seen?.getTime(), ...mine.map((s) => s.last_ts?.getTime())].filter((t): t is number => t !== undefined);
      const lastSeen = seen.length ? Math.max(...seen) : null;
      return {
        id: d.id, gateway: d.gateway, name: d.name, zone: d.zone, protocol: d.protocol, heartbeatSec: d.heartbeat_sec,
        state: d.state, stateSince: d.state_at?.getTime() ?? null,
        lastSeen, ageSec: lastSeen === null ? null : Math.max(0, Math.round((now - lastSeen) / 1000)),
        battery: latestOf('battery') ?? d.battery, signal: latestOf('signal') ?? d.signal,
        lastError: asError(d.last_error),
        sensors: mine.map((s) => ({ id: s.id, kind: s.kind, unit: s.unit, lastValue: s.last_value, lastTs: s.last_ts?.getTime() ?? null })),
      };
    });
  });
};
