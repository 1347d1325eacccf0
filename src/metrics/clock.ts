// The one clock latency is measured with: monotonic, in microseconds (performance.now() has
// sub-microsecond resolution in Node and never jumps with the wall clock), and the waits that
// keep an open-loop schedule to within microseconds without burning a core. A leaf module.

export function nowUs(): number {
  return performance.now() * 1000;
}

/** A coarse wait (timer granularity, about a millisecond): for backoffs and events, not schedules. */
export function sleepUntilUs(targetUs: number, signal?: AbortSignal): Promise<void> {
  const ms = (targetUs - nowUs()) / 1000;
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Node's timers fire on whole milliseconds, early or late by up to one: a schedule kept with them
 * alone starts operations up to a millisecond late and calls that the database's latency. Waits
 * shorter than this are finished precisely instead.
 */
export const TIMER_GRANULARITY_US = 2000;
/** Linux lets a sleeping thread wake up to 50 µs late (timer slack): the last stretch is spun. */
const SLACK_US = 60;

const blocker = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread until `dueUs` (at most TIMER_GRANULARITY_US away): a futex wait, then a spin
 * over the timer slack. Only for a thread with nothing else to do meanwhile (no answer in flight),
 * since nothing runs while it waits. Returns how long it blocked, in µs.
 */
export function blockUntilUs(dueUs: number): number {
  const t0 = nowUs();
  const sleepUs = dueUs - t0 - SLACK_US;
  if (sleepUs > 0) Atomics.wait(blocker, 0, 0, sleepUs / 1000);
  while (nowUs() < dueUs) {
    // spin over the slack
  }
  return nowUs() - t0;
}
