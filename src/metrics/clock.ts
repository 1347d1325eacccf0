// The one clock latency is measured with: monotonic, in microseconds (performance.now() has
// sub-microsecond resolution in Node and never jumps with the wall clock), and the waits that
// keep an open-loop schedule to within microseconds without burning a core. A leaf module.
import { Worker } from 'node:worker_threads';

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

/** The epoch in µs, comparable between threads (each thread's performance.now() has its own origin). */
export function epochUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

// The wake thread's whole program: it sleeps on a futex until the time it was asked for (a newer
// request interrupts the sleep), then posts one message, which wakes the requesting thread's event
// loop as an answer from the server would.
const WAKE_THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const ctl = new Int32Array(workerData.ctl);
const at = new Float64Array(workerData.at);
const now = () => (performance.timeOrigin + performance.now()) * 1000;
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  for (;;) {
    const waitMs = (at[0] - now()) / 1000;
    if (waitMs <= 0) { parentPort.postMessage(seen); break; }
    if (Atomics.wait(ctl, 0, seen, waitMs) !== 'timed-out') { seen = Atomics.load(ctl, 0); if (seen < 0) break; }
  }
  if (seen < 0) break;
}
`;

/**
 * A wake-up at a microsecond time for a thread that must keep serving its sockets meanwhile (so it
 * cannot block): another thread sleeps precisely and posts a message at the time asked. The message
 * arrives a little late (a few tens of µs on an idle machine); the caller asks that much early and
 * finishes with a short poll. Costs a thread that sleeps, not a core that spins.
 */
export class WakeThread {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4));
  private readonly at = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private pending: (() => void) | undefined;
  private generation = 0;

  constructor() {
    this.worker = new Worker(WAKE_THREAD_SOURCE, { eval: true, workerData: { ctl: this.ctl.buffer, at: this.at.buffer } });
    this.worker.on('message', (g: number) => {
      if (g !== this.generation || !this.pending) return; // a request since replaced or cancelled
      const cb = this.pending;
      this.pending = undefined;
      cb();
    });
    this.worker.unref();
  }

  /** Calls `cb` (on this thread's event loop) at about epoch time `atEpochUs`; replaces any earlier request. */
  wakeAt(atEpochUs: number, cb: () => void): void {
    this.pending = cb;
    this.at[0] = atEpochUs;
    Atomics.store(this.ctl, 0, ++this.generation);
    Atomics.notify(this.ctl, 0);
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }

  cancel(): void {
    if (!this.pending) return;
    this.pending = undefined;
    this.at[0] = Number.POSITIVE_INFINITY;
    Atomics.store(this.ctl, 0, ++this.generation);
    Atomics.notify(this.ctl, 0);
  }

  async close(): Promise<void> {
    this.pending = undefined;
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    await this.worker.terminate();
  }
}
