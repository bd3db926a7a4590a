import type { Queryable } from '../../db/engine.ts';
import { DEFAULT_DELTA_H_KJ } from './mkt.ts';

// Storage profiles: the rules behind an item's `storage_profile` name (migration 0009). A lot
// follows its item's profile. An item without one (or naming an unknown profile) is measured
// against its zone location's temp_low / temp_high, with no quarantine rules: we report its
// exposure but do not guess what it tolerates.

export interface StorageProfile {
  name: string;
  tempLow: number | null;
  tempHigh: number | null;
  alarmHigh: number | null;
  alarmLow: number | null;
  singleMinutes: number | null;
  cumulativeMinutes: number | null;
  mktLimit: number | null;
  deltaHkJ: number;
  /** of each defrost period (the edge's `defrost` alerts), this many minutes are excused; null: none */
  defrostMinutes: number | null;
  /** an excused defrost minute must stay at or below this (°C); null: no ceiling */
  defrostMaxTemp: number | null;
  /** false for the zone-range fallback: exposure is reported, nothing is quarantined */
  rules: boolean;
}

interface ProfileRow {
  name: string; temp_low: number | null; temp_high: number | null; alarm_high: number | null; alarm_low: number | null;
  single_minutes: number | null; cumulative_minutes: number | null; mkt_limit: number | null; delta_h_kj: number;
  defrost_minutes: number | null; defrost_max_temp: number | null;
}

const fromRow = (r: ProfileRow): StorageProfile => ({
  name: r.name, tempLow: r.temp_low, tempHigh: r.temp_high, alarmHigh: r.alarm_high, alarmLow: r.alarm_low,
  singleMinutes: r.single_minutes, cumulativeMinutes: r.cumulative_minutes, mktLimit: r.mkt_limit, deltaHkJ: r.delta_h_kj,
  defrostMinutes: r.defrost_minutes ?? null, defrostMaxTemp: r.defrost_max_temp ?? null, rules: true,
});

export async function loadProfiles(q: Queryable): Promise<Map<string, StorageProfile>> {
  const rows = await q.query<ProfileRow>('SELECT * FROM storage_profiles');
  return new Map(rows.map((r) => [r.name, fromRow(r)]));
}

/** the profile for a lot whose item names `name`, or the zone-range fallback */
export function resolveProfile(profiles: Map<string, StorageProfile>, name: string | null, zoneRange?: { low: number | null; high: number | null }): StorageProfile {
  const p = name ? profiles.get(name) : undefined;
  if (p) return p;
  return {
    name: name ? `${name} (unknown profile: zone range)` : 'zone range', tempLow: zoneRange?.low ?? null, tempHigh: zoneRange?.high ?? null,
    alarmHigh: null, alarmLow: null, singleMinutes: null, cumulativeMinutes: null, mktLimit: null, deltaHkJ: DEFAULT_DELTA_H_KJ,
    defrostMinutes: null, defrostMaxTemp: null, rules: false,
  };
}

/** sets or changes a profile's rules (tests and admin scripts; the seeded ones cover chilled/frozen) */
export async function upsertProfile(q: Queryable, p: Omit<StorageProfile, 'rules' | 'defrostMinutes' | 'defrostMaxTemp'> & Partial<Pick<StorageProfile, 'defrostMinutes' | 'defrostMaxTemp'>>): Promise<void> {
  await q.query(
    `INSERT INTO storage_profiles (name, temp_low, temp_high, alarm_high, alarm_low, single_minutes, cumulative_minutes, mkt_limit, delta_h_kj,
       defrost_minutes, defrost_max_temp)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
     ON CONFLICT (name) DO UPDATE SET temp_low = $2, temp_high = $3, alarm_high = $4, alarm_low = $5, single_minutes = $6,
       cumulative_minutes = $7, mkt_limit = $8, delta_h_kj = $9, defrost_minutes = $10, defrost_max_temp = $11, updated_at = now()`,
    [p.name, p.tempLow, p.tempHigh, p.alarmHigh, p.alarmLow, p.singleMinutes, p.cumulativeMinutes, p.mktLimit, p.deltaHkJ,
      p.defrostMinutes ?? null, p.defrostMaxTemp ?? null]);
}
