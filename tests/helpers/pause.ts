// Time that passes on purpose. Tests wait on conditions (net.ts waitFor, expect.poll), never on a
// bare sleep hoping the condition is met by then (tests/architecture/test-hygiene.test.ts fails
// on one outside tests/helpers/). Where the pause IS the behaviour under test it is said here, by
// name and with its reason:
//   - unchangedFor: "and nothing more happens" — checked all through the window, failing at once;
//   - quietFor: nothing is sent or done for a while (a device silent, a process held mid-work);
//   - pace: the rhythm of a simulated device or publisher (one send every N ms).

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Holds for `ms` and fails as soon as `value()` differs from what it was at the start: the
 * "nothing more happens" half of a test (no second movement, no late alert). `what` names it.
 */
export async function unchangedFor<T>(ms: number, value: () => T | Promise<T>, what: string, everyMs = 50): Promise<void> {
  const first = JSON.stringify(await value());
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(Math.min(everyMs, Math.max(0, until - Date.now())));
    const now = JSON.stringify(await value());
    if (now !== first) throw new Error(`expected ${what} to stay ${first} for ${ms} ms, it became ${now}`);
  }
}

/**
 * Lets `ms` pass with nothing done, when that silence is what the test is about: a device quiet
 * for its heartbeat, a job holding its lease mid-run, an outage of a given length. `why` is for
 * the reader (and a failure's stack).
 */
export async function quietFor(ms: number, why: string): Promise<void> {
  void why;
  await sleep(ms);
}

/** The pause between two sends of a simulated device or publisher running at its own rate. */
export async function pace(ms: number): Promise<void> {
  await sleep(Math.max(0, ms));
}
