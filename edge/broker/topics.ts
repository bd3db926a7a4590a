// MQTT topic-filter arithmetic for the broker's ACLs (MQTT 3.1.1 §4.7). Pure functions, so the
// ACL rules can be reasoned about (and tested) without a broker.

/** Does `topic` (a concrete PUBLISH topic) match `filter` (which may hold `+` and `#`)? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // §4.7.2: a wildcard in the first level never matches a topic starting with `$` ($SYS/…).
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Does `pattern` cover every topic that subscription filter `filter` could ever match? A client
 * allowed `site/+/temp` may subscribe to `site/a/temp` or `site/+/temp`, but not `site/#`.
 */
export function filterCovers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  if (filter.startsWith('$') && (p[0] === '+' || p[0] === '#')) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= f.length) return false;
    if (f[i] === '#') return false; // only `#` covers `#`
    if (p[i] === '+') continue; // covers a literal or `+`
    if (f[i] !== p[i]) return false; // a literal covers only itself
  }
  return p.length === f.length;
}

/** Could some topic match both filters? (`#` and `+` overlap anything at their level) */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
  return true;
}
