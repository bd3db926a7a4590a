// Scheduled defrost starts as instants: times of day in the schedule's IANA time zone turned
// into epoch ms. Pure (Intl only), so replay of last month's CSV finds the same starts as the
// live gateway did. Around a DST change a local time that does not exist is taken one hour
// later and a repeated one once, as controllers with a real-time clock do.

const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `tz` from UTC at instant `t` (ms; +3 600 000 for UTC+1). */
export function tzOffsetMs(tz: string, t: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return local - (t - (t % 1000 + 1000) % 1000);
}

/** The first scheduled start at or after `from` (undefined: empty schedule). `minutes` sorted minutes of the day. */
export function nextScheduledStart(minutes: readonly number[], tz: string, from: number): number | undefined {
  if (!minutes.length || !Number.isFinite(from)) return undefined;
  const off = tzOffsetMs(tz, from);
  const dayStart = Math.floor((from + off) / DAY) * DAY;
  for (let d = -1; d <= 2; d++) {
    for (const m of minutes) {
      const local = dayStart + d * DAY + Math.round(m * 60_000);
      // the offset at the candidate itself (a DST change may lie between `from` and it)
      const t = local - tzOffsetMs(tz, local - off);
      if (t >= from) return t;
    }
  }
  return undefined;
}
