-- Defrost in the exposure record. A freezer's evaporator is heated several times a day and the
-- air rises for a while; the edge reports each defrost (and its recovery) as an `info` alert of
-- rule `defrost`, kept in `alerts` like any other. A storage profile says how much of such a
-- period it excuses: the first defrost_minutes of each period, while the air stays at or below
-- defrost_max_temp, are defrost, not an excursion. NULL defrost_minutes: defrost is not excused
-- (the time counts like any other); NULL defrost_max_temp: no ceiling.
ALTER TABLE storage_profiles ADD COLUMN defrost_minutes double precision CHECK (defrost_minutes IS NULL OR defrost_minutes >= 0);
ALTER TABLE storage_profiles ADD COLUMN defrost_max_temp double precision;

-- frozen goods ride out an electric defrost (the air near −10 °C for 15–45 min, then recovery);
-- chilled rooms defrost off-cycle, inside their range, so nothing needs excusing there
UPDATE storage_profiles SET defrost_minutes = 90, defrost_max_temp = -5 WHERE name = 'frozen';

-- the exposure job and the passport look up a zone's defrost periods by time
CREATE INDEX alerts_defrost_zone_since ON alerts (zone, since) WHERE rule = 'defrost';
