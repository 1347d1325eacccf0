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
/** Linux lets a sleeping thread wake up to 50 µs late (timer slack; 60 keeps a margin): the last stretch is spun. */
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

/**
 * A poll's pause between looks at its sockets, for a thread that waits for a due time while answers
 * are in flight: it gives the core to the server for about the kernel's timer slack (a 30 µs wait
 * sleeps 60-80 µs here) instead of spinning. Spinning held a core the server's backends needed and
 * allocated an event-loop turn's garbage each time: measured on the history page, 4 connections,
 * 2,000/s, 10 s, two cores, the open loop's p99 fell from 14.8 to 5.2 ms, service p99 from 4.3 to
 * 2.3 ms, the thread's CPU from 7.5 to 3.7 s and its scavenges from 58 to 9 (500/s: p99 4.7 to
 * 2.6-2.9 ms). The price: an answer that arrives during a pause is read up to one pause late, which
 * the service time carries (p50 +40-80 µs at 500/s, less than the spinning cost it at 2,000/s).
 * It does not pause within POLL_NAP_US + 2 SLACK_US of the due time: a pause ends in time, and the
 * last stretch is spun.
 */
const POLL_NAP_US = 30;

export function napUntilNearUs(dueUs: number): void {
  if (dueUs - nowUs() > POLL_NAP_US + 2 * SLACK_US) Atomics.wait(blocker, 0, 0, POLL_NAP_US / 1000);
}

/**
 * The machine's own lateness in starting on time, with no database and no work: this thread keeps
 * a Poisson schedule of `ratePerSec` for `durationMs` and returns how late each start was, in µs.
 * 'sleep' waits as the open loop does when nothing is in flight (blockUntilUs: a futex wait, then a
 * spin over the timer slack), so what remains is the kernel's and the hypervisor's wake-up; 'spin'
 * never gives up the core, so what remains is the thread losing it. A harness cannot start on time
 * more precisely than this; the open loop's lateness is read against it. Blocks the thread
 * throughout: call it in slices where the thread must also answer Ctrl-C.
 */
export function bareScheduleLateness(ratePerSec: number, durationMs: number, mode: 'sleep' | 'spin', seed = 1): number[] {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const meanGapUs = 1e6 / ratePerSec;
  const late: number[] = [];
  let due = nowUs() + meanGapUs;
  const endUs = due + durationMs * 1000;
  while (due < endUs) {
    if (mode === 'sleep') blockUntilUs(due);
    else while (nowUs() < due);
    late.push(nowUs() - due);
    due += -Math.log(1 - uniform()) * meanGapUs;
  }
  return late;
}
