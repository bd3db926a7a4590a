// The two waits every Modbus polling loop needs (TCP and RTU alike): a library request that
// must give up after the device's timeout — modbus-serial leaves a request pending forever when
// its socket or port goes away — and a sleep between polls; both end at once on stop().

/** thrown inside a loop when stop() interrupts a wait */
export const STOPPED = Symbol('stopped');

/** `p`, or `timeoutError()` after `ms`, or STOPPED when `signal` aborts — whichever comes first */
export function withDeadline<T>(p: Promise<T>, ms: number, signal: AbortSignal, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(STOPPED));
    const timer = setTimeout(() => finish(() => reject(timeoutError())), ms);
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    if (signal.aborted) return finish(() => reject(STOPPED));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => finish(() => resolve(v)), (e) => finish(() => reject(e)));
  });
}

/** resolves after `ms`, or at once when `signal` aborts */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}
