// chatbench's own scheduling priority while it measures: part of keeping the open-loop schedule
// on time (clock.ts keeps the waits precise; this gets the waiting thread a core when it wakes).
// A leaf module.
//
// On two cores the server's backends and chatbench's load threads take turns, and a load thread
// whose due time has come waits for a core a backend holds: that wait is reported as the
// database's latency (open loop: start lateness; closed loop: an answer read late). Linux shares
// the CPU fairly between sessions first (autogroups, on by default), and the embedded server runs
// in a session of its own, so a thread's nice value does not help against it: only the session's
// (`/proc/self/autogroup`) does. Measured here, history page at 2,000/s on 4 connections beside
// CPU-heavy sessions (load average 8 on two cores), three runs each: start lateness p50
// 350-12,527 µs and p99 4.8-13.1 ms at the session's nice 0, p50 14-38 µs and p99 0.8-4.2 ms at
// -10; a bare 2,000/s schedule without a database, two runs each: thread nice -10 alone p99
// 22.7-34.8 ms against 9.0-35.1 ms, no better; the session's -10, p99 2.2-3.0 ms against 19-29 ms. A load thread mostly waits, so what it takes from the server is its own work,
// now on time. Peers chatbench runs (pgbench, psql) are in its session and get the same priority.
// Only the measured parts run raised: a seed inside a command (growth, bench) does not.
//
// Lowering a nice value needs root, CAP_SYS_NICE or an RLIMIT_NICE that allows it; without them the
// run goes on at the session's priority and says so. The priority belongs to the terminal session,
// not to a run: two chatbench runs in one session share it, and the first to end puts it back under
// the other. Results therefore record the session's nice over the run (watchPriority: read at the
// start, every second and at the end), so the other run's results say so ("changed during the run:
// -10, then 0"). Two measurements at once on one machine disturb each other anyway; run them in
// separate terminal sessions (each gets its own autogroup) if you must.
import fs from 'node:fs';

const AUTOGROUP = '/proc/self/autogroup';
/** The session's nice while chatbench measures: weight 9,548 against the server's 1,024. */
export const MEASURING_NICE = -10;
/** Without CAP_SYS_ADMIN the kernel refuses a second autogroup change within 100 ms (EAGAIN). */
const RATE_LIMIT_MS = 110;
/** How often a watch reads the session's nice between a run's start and end. */
export const PRIORITY_SAMPLE_MS = 1_000;

/** The session's autogroup nice, or undefined where the kernel has no autogroups. */
export function sessionNice(): number | undefined {
  try {
    if (fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return undefined;
    const m = /nice (-?\d+)/.exec(fs.readFileSync(AUTOGROUP, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The session's nice over one run: each value it took, in order (undefined: no autogroups), and how often it was read between the start and the end (0: not between). */
export interface Priority {
  readonly nice: readonly (number | undefined)[];
  readonly sampleEveryMs: number;
}

/** A running watch of the session's nice; `end()` stops it and returns the same record when called again. */
export interface PriorityWatch {
  end(): Priority;
}

/**
 * Reads the session's nice now, every `sampleEveryMs` and at `end()`; `sampleEveryMs` 0 reads it at
 * the start and the end only (micro mode times operations on this thread, where a read would land
 * inside a sample). A change between two reads, undone before the second, goes unseen; one still
 * in effect at the end cannot.
 */
export function watchPriority(sampleEveryMs = PRIORITY_SAMPLE_MS): PriorityWatch {
  const nice = [sessionNice()];
  const sample = () => {
    const now = sessionNice();
    if (now !== nice[nice.length - 1]) nice.push(now);
  };
  const timer = sampleEveryMs > 0 ? setInterval(sample, sampleEveryMs) : undefined;
  timer?.unref();
  let ended: Priority | undefined;
  return {
    end() {
      if (ended) return ended;
      clearInterval(timer);
      sample();
      return (ended = { nice, sampleEveryMs });
    },
  };
}

const valuesOf = ({ nice }: Priority) =>
  nice.length > 1
    ? `session autogroup nice changed during the run: ${nice.map((n) => n ?? 'no autogroup').join(', then ')}`
    : nice[0] === undefined ? 'no autogroups on this kernel: chatbench at its nice value, the server at its own' : `session autogroup nice ${nice[0]}`;
const readingOf = ({ sampleEveryMs }: Priority) => (sampleEveryMs > 0 ? `read at the start, every ${sampleEveryMs / 1000} s and at the end` : 'read at the start and at the end');

/**
 * What results record (`clientPriority`) for one run or several measured ones (a capacity search's
 * steps, growth's points, bench's parts): one nice, or each value it took; each run's values when
 * they differed; how the changing runs were read, said once after them. Undefined for no runs.
 */
export function describePriority(runs: readonly Priority[]): string | undefined {
  if (!runs.length) return undefined;
  const values = [...new Set(runs.map(valuesOf))];
  const readings = [...new Set(runs.filter((r) => r.nice.length > 1).map(readingOf))];
  return `${values.length === 1 ? values[0] : `differed between the measured runs: ${values.join('; ')}`}${readings.length ? ` (${readings.join('; ')})` : ''}`;
}

/** Writes the session's nice; retries once when the kernel's rate limit refuses it. Returns the error code, if any. */
function setSessionNice(nice: number): string | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(AUTOGROUP, String(nice));
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
      if (code !== 'EAGAIN' || attempt > 0) return code;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RATE_LIMIT_MS);
    }
  }
}

/**
 * Runs `f` with chatbench's session raised to MEASURING_NICE, then puts back what it found, also
 * when the process exits on a second Ctrl-C (only a kill -9 leaves the session raised). A session
 * already at or above that priority (another chatbench in the same terminal) is left as it is, and
 * so is one changed by someone else meanwhile. A refusal is not an error: `log` says it once.
 * Two chatbench runs in one session share its priority: the first to end puts it back, and the
 * other's watch (watchPriority) says so in its results.
 */
export async function withMeasuringPriority<T>(f: () => Promise<T>, log?: (message: string) => void): Promise<T> {
  const before = sessionNice();
  if (before === undefined || before <= MEASURING_NICE) return f();
  const refused = setSessionNice(MEASURING_NICE);
  if (refused) {
    log?.(`chatbench's CPU priority was not raised (${refused}: needs root, CAP_SYS_NICE or RLIMIT_NICE): measuring at the session's nice ${before}, so its own waits for a core may show in the latencies`);
    return f();
  }
  const restore = () => {
    if (sessionNice() !== MEASURING_NICE) return;
    const failed = setSessionNice(before);
    if (failed) log?.(`could not put the terminal session's CPU priority back to nice ${before} (${failed}): it stays at ${MEASURING_NICE} until the session ends`);
  };
  process.once('exit', restore);
  try {
    return await f();
  } finally {
    process.off('exit', restore);
    restore();
  }
}
