// Shared by the edge (a zone's defrost schedule) and the cloud (a report's weekly slot): both take
// an IANA time zone from people and must refuse one the runtime does not know.

/** true when `tz` names a time zone this runtime knows */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
