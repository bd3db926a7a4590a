import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { Sensor, Zone } from '../schemas.ts';

interface ZoneRow {
  id: string; name: string; site: string; gateway: string;
  profile_low: number | null; profile_high: number | null; delay_sec: number; hysteresis: number; active_alerts: number;
}
interface SensorRow {
  id: string; zone: string; kind: string; unit: string; protocol: string; gateway: string; name: string | null;
  last_ts: Date | null; last_value: number | null;
}

const ms = (d: Date | null) => (d ? d.getTime() : undefined);

export const zoneRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/zones', {
    schema: { tags: ['zones'], summary: 'zones with their profile, sensors, latest values and active alert count', response: { 200: z.array(Zone) } },
  }, async () => {
    const [zones, sensors] = await Promise.all([
      db.query<ZoneRow>(`SELECT z.*, (SELECT count(*)::int FROM alerts a WHERE a.zone = z.id AND a.state = 'active' AND a.severity <> 'info') AS active_alerts
                         FROM zones z ORDER BY z.site, z.name`),
      db.query<SensorRow>('SELECT * FROM sensors ORDER BY id'),
    ]);
    return zones.map((zr) => {
      const mine = sensors.filter((s) => s.zone === zr.id);
      return {
        id: zr.id, name: zr.name, site: zr.site, gateway: zr.gateway,
        profile: { ...(zr.profile_low !== null ? { low: zr.profile_low } : {}), ...(zr.profile_high !== null ? { high: zr.profile_high } : {}) },
        delaySec: zr.delay_sec, hysteresis: zr.hysteresis,
        sensors: mine.map((s) => ({ id: s.id, kind: s.kind, unit: s.unit })),
        latest: mine.filter((s) => s.last_ts && s.last_value !== null)
          .map((s) => ({ sensor: s.id, kind: s.kind, value: s.last_value!, ts: s.last_ts!.getTime() })),
        activeAlerts: zr.active_alerts,
      };
    });
  });

  app.get('/api/sensors', {
    schema: { tags: ['zones'], summary: 'every sensor with its last value and when it was seen', response: { 200: z.array(Sensor) } },
  }, async () => {
    const rows = await db.query<SensorRow>('SELECT * FROM sensors ORDER BY zone, id');
    return rows.map((s) => ({
      id: s.id, zone: s.zone, kind: s.kind, unit: s.unit, protocol: s.protocol, gateway: s.gateway,
      ...(s.name ? { name: s.name } : {}),
      ...(s.last_ts ? { lastTs: ms(s.last_ts)! } : {}),
      ...(s.last_value !== null ? { lastValue: s.last_value } : {}),
    }));
  });
};
