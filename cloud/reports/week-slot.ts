// The weekly slot of a schedule — weekday (ISO: 1 = Monday … 7 = Sunday) and hour in an IANA
// time zone — as instants. Done with Intl (no date library in the cloud): walk back from `now` in
// quarter hours (time zones with :30 and :45 offsets) to the latest instant whose local time is
// that weekday at hour:00. Daylight saving moves the instant, not the local hour.

const STEP = 15 * 60_000;
const WEEK_STEPS = (7 * 24 * 60 * 60_000) / STEP;
const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function localParts(fmt: Intl.DateTimeFormat, at: number) {
  const p = Object.fromEntries(fmt.formatToParts(at).map((x) => [x.type, x.value]));
  return { weekday: WEEKDAY[p.weekday!]!, hour: Number(p.hour) % 24, minute: Number(p.minute) };
}

/** the latest instant at or before `now` that is `weekday` `hour`:00 in `tz` (undefined if the hour does not exist that week: a DST gap) */
export function latestSlot(s: { weekday: number; hour: number; timezone: string }, now: Date): Date | undefined {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: s.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  let t = Math.floor(now.getTime() / STEP) * STEP;
  for (let i = 0; i <= WEEK_STEPS; i++, t -= STEP) {
    const l = localParts(fmt, t);
    if (l.weekday === s.weekday && l.hour === s.hour && l.minute === 0) return new Date(t);
  }
  return undefined;
}

