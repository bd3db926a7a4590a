import type { AlertEvent, GatewayManifest, MovementEvent, UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { Reading } from '../../protocols/reading.ts';
import { SpError } from '../../protocols/errors.ts';
import { MAX_ID, isCleanText } from '../../protocols/text.ts';
import type { Queryable } from '../db/engine.ts';
import { parseDocumentRef } from './document-refs.ts';
import { resolveLocation } from '../inventory/master-data.ts';

// What the cloud accepts from a gateway (issue #11): only what that gateway owns.
//
// The gateway id comes from the topic, and the cloud may trust it because the broker binds
// topics to credentials (a gateway logs in as its id and may publish only on
// stockpulse/v1/gw/<its id>/…: the embedded broker in bin/demo-stack.ts, Mosquitto through
// `stockpulse gateway mosquitto`). What the gateway says is then checked against the registry:
// - an unknown or revoked gateway: the whole batch is refused (SP_ERR_GATEWAY_UNKNOWN);
// - a stream opened under an older credential generation: refused (SP_ERR_UPLINK_STREAM_REVOKED);
// - each item that speaks for something another gateway owns, changes a zone's limits, books in
//   another site's locations or matches another site's document is refused on its own
//   (SP_ERR_GATEWAY_REFUSED) and the rest of the batch is stored. So is an alert transition naming
//   an alert id another gateway (or the cloud) raised: a gateway raises and clears its own alerts.
// Ownership is claimed on first use: a zone or sensor nobody owns is claimed by the first
// registered gateway whose manifest (or, for a sensor, whose reading) names it. The site too,
// when registration left it empty. Alerts and movements claim nothing; they need a zone that is
// the gateway's own or nobody's.

export interface Refusal {
  what: 'manifest' | 'zone' | 'sensor' | 'reading' | 'alert' | 'movement';
  /** the zone, sensor, alert or movement id concerned */
  subject: string;
  /** the zone it concerns, for the alert raised to admins */
  zone?: string;
  reason: string;
  /** the refused item(s), kept whole in the dead letters */
  item: unknown;
}

export type Admitted = { ok: true; site: string | null } | { ok: false; error: SpError };

/**
 * Is this a live gateway on a stream its current credential opened? Touches nothing else. One
 * statement (the alarm path, issue #12): the registry row, the stream bound to the credential
 * generation that sent its first batch (a new stream is bound here), and the stream's generation.
 */
export async function admitBatch(q: Queryable, batch: UplinkBatch): Promise<Admitted> {
  const gw = batch.gateway;
  const [reg] = await q.query<AdmissionRow>(
    `WITH ${ADMISSION_CTES} SELECT ${ADMISSION_COLUMNS} FROM reg, bound`, [gw, batch.stream]);
  // NULL: another transaction bound the stream after this statement's snapshot (the INSERT met
  // its row and did nothing); a new statement sees it
  if (reg && !reg.revoked && reg.stream_generation === null) {
    reg.stream_generation = (await q.query<{ generation: number }>('SELECT generation FROM uplink_streams WHERE gateway = $1 AND stream = $2', [gw, batch.stream]))[0]!.generation;
  }
  return admission(batch, reg);
}

/**
 * The admission statement's parts, over $1 (gateway) and $2 (stream): `reg`, the registry row;
 * `bound`, the credential generation the stream is bound to (a new stream is bound here to the
 * current one; NULL when another transaction bound it after this statement's snapshot). Shared
 * with open-batch.ts, which admits and claims a batch in one statement.
 */
export const ADMISSION_CTES = `reg AS (SELECT site, generation, revoked_at FROM gateway_registry WHERE id = $1),
     opened AS (INSERT INTO uplink_streams (gateway, stream, generation) SELECT $1, $2, generation FROM reg WHERE revoked_at IS NULL
                ON CONFLICT DO NOTHING RETURNING generation),
     bound AS (SELECT coalesce((SELECT generation FROM opened), (SELECT generation FROM uplink_streams WHERE gateway = $1 AND stream = $2)) AS generation)`;

/** an AdmissionRow, selected from ADMISSION_CTES' `reg, bound` */
export const ADMISSION_COLUMNS = 'reg.site, reg.generation, reg.revoked_at IS NOT NULL AS revoked, bound.generation AS stream_generation';

export interface AdmissionRow { site: string | null; generation: number; revoked: boolean; stream_generation: number | null }

/** the verdict on an admission row (none: not registered) */
export function admission(batch: UplinkBatch, reg: AdmissionRow | undefined): Admitted {
  const gw = batch.gateway;
  const opened = reg?.stream_generation;
  if (!reg || reg.revoked) {
    return { ok: false, error: new SpError('SP_ERR_GATEWAY_UNKNOWN', { field: 'gateway', reason: `gateway "${gw}" is ${reg ? 'revoked' : 'not registered'} (register it: stockpulse gateway add --id ${gw})` }) };
  }
  if (Number(opened) !== Number(reg.generation)) {
    return { ok: false, error: new SpError('SP_ERR_UPLINK_STREAM_REVOKED', { field: 'stream', reason: `stream ${batch.stream} was opened under credential #${opened} of "${gw}", which was revoked (now #${reg.generation}); a new stream is needed` }) };
  }
  return { ok: true, site: reg.site };
}

/** The batch cut down to what this admitted gateway owns, and what was cut with why. Claims what nobody owns. */
export async function screenBatch(q: Queryable, sent: UplinkBatch, registeredSite: string | null, known?: KnownOwners): Promise<{ batch: UplinkBatch; refused: Refusal[] }> {
  const gw = sent.gateway;
  const refused: Refusal[] = [];
  // ids go into the claim and lookup queries below, before any item has a savepoint of its own:
  // one the database cannot hold (a NUL, a lone surrogate, over MAX_ID) must cost its item only
  const batch = unstorableIds(sent, refused);
  let site = registeredSite;
  const owners = new Owners(q, gw);
  let manifest: GatewayManifest | undefined;
  if (batch.manifest) {
    const m = batch.manifest;
    if (site === null) {
      await q.query('UPDATE gateway_registry SET site = $2 WHERE id = $1 AND site IS NULL', [gw, m.site]);
      site = m.site;
    }
    if (m.site !== site) {
      refused.push({ what: 'manifest', subject: m.site, reason: `the manifest names site "${m.site}", gateway "${gw}" is registered for site "${site}"`, item: m });
    } else {
      manifest = await screenManifest(q, gw, m, owners, refused);
    }
  }

  const readings: Reading[] = [];
  // the sensors' and the zones' claims and who raised the alert ids in one round trip (after the
  // manifest's: it may claim zones), unless the caller read them already for a batch without one
  // (open-batch.ts)
  const { sensors, zones, alerts: alertIds } = ownedIds(batch);
  const owned = (!batch.manifest && known) || await owners.lookupAll(sensors, zones, alertIds);
  const sensorOwner = await owners.claim('sensor', sensors, owned.sensor);
  const foreign = new Map<string, Reading[]>();
  for (const r of batch.readings) {
    if (sensorOwner.get(r.sensor) === gw) readings.push(r);
    else foreign.set(r.sensor, [...(foreign.get(r.sensor) ?? []), r]);
  }
  for (const [sensor, rs] of foreign) {
    refused.push({ what: 'reading', subject: sensor, reason: `sensor "${sensor}" belongs to gateway "${sensorOwner.get(sensor)}" (${rs.length} reading(s) refused)`, item: rs });
  }

  const zoneOwner = owned.zone;
  const mine = (zone: string) => (zoneOwner.get(zone) ?? gw) === gw;
  const alerts: AlertEvent[] = [];
  for (const a of batch.alerts) {
    const raisedBy = owned.alert.get(a.id);
    if (!mine(a.zone)) refused.push({ what: 'alert', subject: a.id, zone: a.zone, reason: `alert for zone "${a.zone}", which belongs to gateway "${zoneOwner.get(a.zone)}"`, item: a });
    else if (raisedBy !== undefined && raisedBy !== gw) refused.push({ what: 'alert', subject: a.id, zone: a.zone, reason: `alert id "${a.id}" was raised by ${raisedBy === 'cloud' ? 'the cloud' : `gateway "${raisedBy}"`}; a gateway ${a.transition === 'cleared' ? 'clears' : 'raises'} only alerts of its own`, item: a });
    else alerts.push(a);
  }
  const movements: MovementEvent[] = [];
  for (const mv of batch.movements) {
    const why = !mine(mv.location.zone)
      ? `zone "${mv.location.zone}" belongs to gateway "${zoneOwner.get(mv.location.zone)}"`
      : await foreignStock(q, mv, site);
    if (why) refused.push({ what: 'movement', subject: mv.id, zone: mv.location.zone, reason: why, item: mv });
    else movements.push(mv);
  }
  return { refused, batch: { ...batch, manifest, readings, alerts, movements } };
}

/** who owns the batch's sensors and zones (gateway_claims) and which gateway raised its alert ids (alerts), as screenBatch looks them up */
export interface KnownOwners { sensor: Map<string, string>; zone: Map<string, string>; alert: Map<string, string> }

/** the sensors, zones and alert ids whose owners screenBatch needs, each once */
function ownedIds(b: UplinkBatch): { sensors: string[]; zones: string[]; alerts: string[] } {
  return {
    sensors: [...new Set(b.readings.map((r) => r.sensor))],
    zones: [...new Set([...b.alerts.map((a) => a.zone), ...b.movements.map((m) => m.location.zone)])],
    alerts: [...new Set(b.alerts.map((a) => a.id))],
  };
}

/**
 * ownedIds of a batch as it arrived, less the ids the database cannot hold (screenBatch refuses
 * their items): each distinct id checked once, not every item (a zone of a movement refused for
 * its bin may stay in, an owner looked up that nothing asks for)
 */
export function idsToScreen(sent: UplinkBatch): { sensors: string[]; zones: string[]; alerts: string[] } {
  const { sensors, zones, alerts } = ownedIds(sent);
  return { sensors: sensors.filter(storableId), zones: zones.filter(storableId), alerts: alerts.filter(storableId) };
}

/** KnownOwners from OWNERS_SQL rows */
export function knownOwners(rows: readonly { kind: string; id: string; gateway: string }[]): KnownOwners {
  const out: KnownOwners = { sensor: new Map(), zone: new Map(), alert: new Map() };
  for (const r of rows) (r.kind === 'sensor' ? out.sensor : r.kind === 'zone' ? out.zone : out.alert).set(r.id, r.gateway);
  return out;
}

const storableId = (s: string | undefined) => s === undefined || isCleanText(s, MAX_ID);

/** the batch less the items whose ids cannot be stored (a gateway that cleans its text never sends one) */
function unstorableIds(b: UplinkBatch, refused: Refusal[]): UplinkBatch {
  const bad = (what: Refusal['what'], subject: string, item: unknown, zone?: string) =>
    refused.push({ what, subject: JSON.stringify(subject).slice(0, 200), reason: 'an id with characters the database cannot store (NUL, control, lone surrogate) or longer than 256', item, ...(zone !== undefined && storableId(zone) ? { zone } : {}) });
  let manifest = b.manifest;
  if (manifest && !storableId(manifest.site)) {
    bad('manifest', manifest.site, manifest);
    manifest = undefined;
  } else if (manifest) {
    const zones = manifest.zones.filter((z) => storableId(z.id) || (bad('zone', z.id, z), false));
    const sensors = manifest.sensors.filter((s) => (storableId(s.id) && storableId(s.zone)) || (bad('sensor', s.id, s, s.zone), false));
    manifest = { ...manifest, zones, sensors };
  }
  const readings = b.readings.filter((r) => storableId(r.sensor) || (bad('reading', r.sensor, r), false));
  const alerts = b.alerts.filter((a) => (storableId(a.zone) && storableId(a.id)) || (bad('alert', a.id, a), false));
  const movements = b.movements.filter((m) => (storableId(m.location.zone) && storableId(m.location.bin) && storableId(m.document)) || (bad('movement', m.id, m), false));
  return { ...b, manifest, readings, alerts, movements };
}

/** the manifest with only the zones and sensors this gateway may write */
async function screenManifest(q: Queryable, gw: string, m: GatewayManifest, owners: Owners, refused: Refusal[]): Promise<GatewayManifest> {
  const zoneOwner = await owners.claim('zone', m.zones.map((z) => z.id));
  const existing = new Map((await q.query<{ id: string; profile_low: number | null; profile_high: number | null }>(
    'SELECT id, profile_low, profile_high FROM zones WHERE id = ANY($1::text[])', [m.zones.map((z) => z.id)])).map((z) => [z.id, z]));
  const zones = m.zones.filter((z) => {
    if (zoneOwner.get(z.id) !== gw) {
      refused.push({ what: 'zone', subject: z.id, zone: z.id, reason: `zone "${z.id}" belongs to gateway "${zoneOwner.get(z.id)}"`, item: z });
      return false;
    }
    const row = existing.get(z.id);
    const low = z.profile.low ?? null, high = z.profile.high ?? null;
    if (row && (row.profile_low !== low || row.profile_high !== high)) {
      refused.push({
        what: 'zone', subject: `${z.id}:limits:${low}..${high}`, zone: z.id, item: z,
        reason: `the manifest changes zone "${z.id}" limits from ${row.profile_low}…${row.profile_high} to ${low}…${high}; limits change through PATCH /api/zones/${z.id} (audited)`,
      });
      return false;
    }
    return true;
  });
  const ownZones = new Set([...zoneOwner].filter(([, o]) => o === gw).map(([z]) => z));
  const zoneOfSensor = await owners.lookup('zone', m.sensors.map((s) => s.zone));
  const placeable = m.sensors.filter((s) => {
    if (ownZones.has(s.zone) || (zoneOfSensor.get(s.zone) ?? gw) === gw) return true;
    refused.push({ what: 'sensor', subject: s.id, zone: s.zone, reason: `sensor "${s.id}" is placed in zone "${s.zone}", which belongs to gateway "${zoneOfSensor.get(s.zone)}"`, item: s });
    return false;
  });
  const sensorOwner = await owners.claim('sensor', placeable.map((s) => s.id));
  const sensors = placeable.filter((s) => {
    if (sensorOwner.get(s.id) === gw) return true;
    refused.push({ what: 'sensor', subject: s.id, zone: s.zone, reason: `sensor "${s.id}" belongs to gateway "${sensorOwner.get(s.id)}"`, item: s });
    return false;
  });
  return { ...m, zones, sensors };
}

/** why a movement may not touch the ledger from this gateway's site, or undefined when it may */
async function foreignStock(q: Queryable, mv: MovementEvent, site: string | null): Promise<string | undefined> {
  const location = await resolveLocation(q, mv.location.zone, mv.location.bin);
  if (location) {
    const at = await siteOf(q, location);
    if (at !== site) return `location "${location}" is in site "${at}", not in this gateway's site "${site ?? '(none yet)'}"`;
  }
  const ref = parseDocumentRef(mv.document);
  if (ref) {
    // as offered by expected-publisher.ts: a document without a location goes to every site
    const [doc] = await q.query<{ location: string | null }>('SELECT location FROM documents WHERE id = $1', [ref.id]);
    const at = doc?.location ? await siteOf(q, doc.location) : null;
    if (at !== null && at !== site) return `document ${mv.document} belongs to site "${at}"; it was never offered to this gateway's site "${site ?? '(none yet)'}"`;
  }
  return undefined;
}

/** the root of a location's tree (its site), as expected-publisher.ts computes it */
async function siteOf(q: Queryable, location: string): Promise<string | null> {
  const [r] = await q.query<{ id: string }>(
    `WITH RECURSIVE up(id, parent, depth) AS (
       SELECT id, parent, 0 FROM locations WHERE id = $1
       UNION ALL SELECT l.id, l.parent, up.depth + 1 FROM locations l JOIN up ON l.id = up.parent WHERE up.depth < 10)
     SELECT id FROM up WHERE parent IS NULL LIMIT 1`, [location]);
  return r?.id ?? null;
}

/**
 * The rows (kind, id, gateway) of KnownOwners for the sensors, zones and alert ids in three
 * text-array parameters (`$n`): the claims of the first two (gateway_claims), and who raised the
 * alerts (an alert's row names its gateway; 'cloud' for the cloud's own)
 */
export const OWNERS_SQL = (sensors: string, zones: string, alerts: string) =>
  `SELECT kind, id, gateway FROM gateway_claims WHERE (kind = 'sensor' AND id = ANY(${sensors}::text[])) OR (kind = 'zone' AND id = ANY(${zones}::text[]))
   UNION ALL SELECT 'alert', id, gateway FROM alerts WHERE id = ANY(${alerts}::text[])`;

/** claims (gateway_claims) looked up and taken in one round trip per kind and batch */
class Owners {
  constructor(private readonly q: Queryable, private readonly gw: string) {}

  async lookup(kind: 'zone' | 'sensor', ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.q.query<{ id: string; gateway: string }>(
      'SELECT id, gateway FROM gateway_claims WHERE kind = $1 AND id = ANY($2::text[])', [kind, [...new Set(ids)]]);
    return new Map(rows.map((r) => [r.id, r.gateway]));
  }

  /** the owners of sensors and zones and who raised the alert ids, in one round trip */
  async lookupAll(sensors: readonly string[], zones: readonly string[], alerts: readonly string[]): Promise<KnownOwners> {
    if (!sensors.length && !zones.length && !alerts.length) return knownOwners([]);
    return knownOwners(await this.q.query<{ kind: string; id: string; gateway: string }>(
      OWNERS_SQL('$1', '$2', '$3'), [[...new Set(sensors)], [...new Set(zones)], [...new Set(alerts)]]));
  }

  /** claims what nobody owns (first use) and returns every id's owner; known: their lookup, when done already */
  async claim(kind: 'zone' | 'sensor', ids: readonly string[], known?: Map<string, string>): Promise<Map<string, string>> {
    const owner = known ?? await this.lookup(kind, ids);
    const free = [...new Set(ids)].filter((id) => !owner.has(id));
    if (free.length) {
      await this.q.query(
        `INSERT INTO gateway_claims (kind, id, gateway, how) SELECT $1, unnest($2::text[]), $3, 'first_use' ON CONFLICT DO NOTHING`, [kind, free, this.gw]);
      // another gateway may have claimed one at the same moment: read the winners back
      for (const [id, gw] of await this.lookup(kind, free)) owner.set(id, gw);
    }
    return owner;
  }
}
