import { SpError, type ErrorDetail } from '../errors.ts';
import { normaliseEpcHex } from '../epc/decode.ts';
import type { ReaderFormat, TagRead } from './tag-read.ts';

// RFID reader reports over MQTT → TagRead[]. Pure: payload bytes in, reads out.
//
// - Impinj IoT Device Interface (R700/R720/R660), event `tagInventory`: one JSON object per MQTT
//   message, an array (webhook) or newline-delimited JSON (HTTP stream). Fields used: epcHex
//   (or base64 `epc`), antennaPort, peakRssiCdbm (centi-dBm), lastSeenTime, timestamp, hostname.
//   https://platform.impinj.com/site/docs/reader_api/index.gsp (Impinj IoT Device Interface
//   reference, "TagInventoryEvent").
// - Zebra FX7500/FX9600/ATR7000 IoT Connector, data event type SIMPLE: {data: {idHex, antenna,
//   peakRssi (dBm), reads, eventNum, format}, timestamp}, one object or an array (batched mode).
//   https://zebradevs.github.io/rfid-ziotc-docs/ ("Data Events").
// - stockpulse generic JSON (for readers bridged by a small script): {reader?, ts?, tags: [{epc,
//   antenna, rssi?, ts?, count?}]} or one tag object {epc, antenna, rssi?, ts?}. Times are epoch ms
//   or ISO 8601 strings. Documented in docs/devices.md.
//
// A message with no tag events (Impinj inventoryStatus, Zebra heartbeats) yields []: not an
// error. A tag event missing its EPC or antenna, or not JSON at all, is SP_ERR_DECODE.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJsonMessages(payload: string | Buffer): unknown[] {
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  if (!text) throw new SpError('SP_ERR_DECODE', { field: 'payload', reason: 'empty message' });
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch {
    // newline-delimited JSON (Impinj HTTP stream relayed as is)
    const lines = text.split(/\r?\n/).filter((l) => l.trim());
    if (lines.length > 1) {
      return lines.map((l, i) => {
        try { return JSON.parse(l) as unknown; } catch (e) { throw new SpError('SP_ERR_DECODE', { field: `payload.line${i + 1}`, reason: `not JSON (${(e as Error).message})` }); }
      });
    }
    throw new SpError('SP_ERR_DECODE', { field: 'payload', reason: `not JSON: ${JSON.stringify(text.slice(0, 40))}` });
  }
}

/** epoch ms from a number (ms) or an ISO string (nanosecond fractions allowed); undefined when absent/invalid */
function time(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v);
  if (typeof v === 'string' && v) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function requireEpc(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new SpError('SP_ERR_DECODE', { field, reason: 'missing: the tag EPC as hex' });
  return normaliseEpcHex(v, field);
}

function requireAntenna(v: unknown, field: string): number {
  const n = num(v);
  if (n === undefined || !Number.isInteger(n) || n < 0) throw new SpError('SP_ERR_DECODE', { field, reason: `antenna must be a port number, got ${JSON.stringify(v)}` });
  return n;
}

function base64Epc(v: unknown): string | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const b = Buffer.from(v, 'base64');
  return b.length ? b.toString('hex').toUpperCase() : undefined;
}

function decodeImpinj(messages: unknown[], reader: string, now: number): TagRead[] {
  const out: TagRead[] = [];
  messages.forEach((m, i) => {
    if (!isObj(m)) throw new SpError('SP_ERR_DECODE', { field: `events.${i}`, reason: 'not a JSON object' });
    const ev = m.tagInventoryEvent;
    if (m.eventType !== undefined && m.eventType !== 'tagInventory') return; // other event types
    if (!isObj(ev)) {
      if (m.eventType === 'tagInventory') throw new SpError('SP_ERR_DECODE', { field: `events.${i}.tagInventoryEvent`, reason: 'missing in a tagInventory event' });
      return;
    }
    const f = (k: string) => `events.${i}.tagInventoryEvent.${k}`;
    const epc = requireEpc(ev.epcHex ?? base64Epc(ev.epc), f('epcHex'));
    const cdbm = num(ev.peakRssiCdbm);
    out.push({
      reader, epc, antenna: requireAntenna(ev.antennaPort, f('antennaPort')),
      ...(cdbm === undefined ? {} : { rssi: cdbm / 100 }),
      ts: time(ev.lastSeenTime) ?? time(m.timestamp) ?? now,
      count: 1,
      ...(typeof m.hostname === 'string' ? { host: m.hostname } : {}),
    });
  });
  return out;
}

function decodeZebra(messages: unknown[], reader: string, now: number): TagRead[] {
  const out: TagRead[] = [];
  messages.forEach((m, i) => {
    if (!isObj(m)) throw new SpError('SP_ERR_DECODE', { field: `events.${i}`, reason: 'not a JSON object' });
    const d = m.data;
    if (!isObj(d) || (d.idHex === undefined && d.format === undefined)) return; // heartbeat / management event
    if (d.format !== undefined && d.format !== 'epc') return; // TID/user-memory reports carry no EPC
    const f = (k: string) => `events.${i}.data.${k}`;
    const rssi = num(d.peakRssi);
    const reads = num(d.reads);
    out.push({
      reader, epc: requireEpc(d.idHex, f('idHex')), antenna: requireAntenna(d.antenna, f('antenna')),
      ...(rssi === undefined ? {} : { rssi }),
      ts: time(m.timestamp) ?? now,
      count: reads !== undefined && Number.isInteger(reads) && reads > 0 ? reads : 1,
    });
  });
  return out;
}

function decodeGeneric(messages: unknown[], reader: string, now: number): TagRead[] {
  const out: TagRead[] = [];
  const problems: ErrorDetail[] = [];
  messages.forEach((m, i) => {
    if (!isObj(m)) throw new SpError('SP_ERR_DECODE', { field: `messages.${i}`, reason: 'not a JSON object' });
    const tags = Array.isArray(m.tags) ? m.tags : m.epc !== undefined ? [m] : undefined;
    if (!tags) throw new SpError('SP_ERR_DECODE', { field: `messages.${i}`, reason: 'neither "tags": [...] nor a tag object with "epc"' });
    const msgTs = time(m.ts);
    tags.forEach((t, j) => {
      const f = (k: string) => `${m.tags ? `tags.${j}` : `messages.${i}`}.${k}`;
      if (!isObj(t)) { problems.push({ field: f('(tag)'), reason: 'not a JSON object' }); return; }
      const rssi = num(t.rssi);
      const count = num(t.count);
      out.push({
        reader, epc: requireEpc(t.epc, f('epc')), antenna: requireAntenna(t.antenna ?? 1, f('antenna')),
        ...(rssi === undefined ? {} : { rssi }),
        ts: time(t.ts) ?? msgTs ?? now,
        count: count !== undefined && Number.isInteger(count) && count > 0 ? count : 1,
        ...(typeof m.reader === 'string' ? { host: m.reader } : {}),
      });
    });
  });
  if (problems.length) throw new SpError('SP_ERR_DECODE', problems);
  return out;
}

/**
 * One MQTT message of a reader → its tag reads. `reader` is the configured device id (reads are
 * keyed by it, not by what the reader calls itself); `now` stamps reads that carry no time.
 */
export function decodeReaderMessage(format: ReaderFormat, payload: string | Buffer, reader: string, now = Date.now()): TagRead[] {
  const messages = parseJsonMessages(payload);
  switch (format) {
    case 'impinj': return decodeImpinj(messages, reader, now);
    case 'zebra': return decodeZebra(messages, reader, now);
    case 'generic': return decodeGeneric(messages, reader, now);
  }
}
