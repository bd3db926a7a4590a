// Simulated devices read time through a Clock so tests can step hours in a millisecond and
// demos can run on the wall clock. Frames always carry clock.now() as their `ts`.

export interface Clock {
  /** epoch milliseconds */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: tests advance it to jump the physics forward. */
export class ManualClock implements Clock {
  private t: number;
  constructor(startMs = Date.UTC(2025, 0, 6, 6, 0, 0)) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move a clock backwards (${ms} ms)`);
    this.t += ms;
  }
}
