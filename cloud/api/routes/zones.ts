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

function firstOf(dates: (Date | null)[]): { firstTs?: number } {
  const t = dates.filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());
  return t.length ? { firstTs: Math.min(...t) } : {};
}

export const zoneRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/zones', {
    schema: { tags: ['zones'], summary: 'zones with their profile, sensors, latest values and active alert count', response: { 200: z.array(Zone) } },
  }, async () => {
    const [zones, sensors, firsts] = await Promise.all([
      db.query<ZoneRow>(`SELECT z.*, (SELECT count(*)::int FROM alerts a WHERE a.zone = z.id AND a.state = 'active' AND a.severity <> 'info') AS active_alerts
                         FROM zones z ORDER BY z.site, z.name`),
      db.query<SensorRow>('SELECT * FROM sensors ORDER BY id'),
      // one index probe per sensor on readings (sensor, ts): the oldest reading, for the default range
      db.query<{ id: string; first_ts: Date | null }>(
        'SELECT s.id, (SELECT r.ts FROM readings r WHERE r.sensor = s.id ORDER BY r.ts ASC LIMIT 1) AS first_ts FROM sensors s'),
    ]);
    const firstBySensor = new Map(firsts.map((f) => [f.id, f.first_ts]));
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
        ...firstOf(mine.map((s) => firstBySensor.get(s.id) ?? null)),
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
