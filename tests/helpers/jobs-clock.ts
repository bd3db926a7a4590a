// A clock the tests move by hand: the runner and the jobs read only this.
export interface TestClock {
  (): Date;
  set(iso: string): void;
  advance(ms: number): void;
}

export function testClock(iso: string): TestClock {
  let t = Date.parse(iso);
  const clock = (() => new Date(t)) as TestClock;
  clock.set = (s) => { t = Date.parse(s); };
  clock.advance = (ms) => { t += ms; };
  return clock;
}
