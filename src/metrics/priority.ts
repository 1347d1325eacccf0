// chatbench's own scheduling priority while it measures. A leaf module.
//
// On two cores the server's backends and chatbench's load threads take turns, and a load thread
// whose due time has come waits for a core a backend holds: that wait is reported as the
// database's latency (open loop: start lateness; closed loop: an answer read late). Linux shares
// the CPU fairly between sessions first (autogroups, on by default), and the embedded server runs
// in a session of its own, so a thread's nice value does not help against it: only the session's
// (`/proc/self/autogroup`) does. Measured with a 2,000/s Poisson schedule beside CPU-heavy
// sessions (load average 7-8 on two cores, 20,000 arrivals each): start lateness p90 611-1,046 µs
// and p99 19-29 ms at the session's nice 0, p90 50 µs and p99 2.2-3.0 ms at -10 (thread nice -10
// alone: p99 23-35 ms, no better). chatbench uses little CPU (a load thread is mostly waiting), so
// the server loses only what chatbench would have taken anyway, now on time. Peers chatbench runs
// (pgbench, psql) are in its session and get the same priority.
//
// Raising a priority needs root or CAP_SYS_NICE; without them the run goes on and its results say
// so (RunEnvironment.clientPriority).
import fs from 'node:fs';

const AUTOGROUP = '/proc/self/autogroup';
/** The session's nice while chatbench measures: weight 9,548 against the server's 1,024. */
export const MEASURING_NICE = -10;

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

/** What a results file records: the priority chatbench's session measured at. */
export function describePriority(): string {
  const nice = sessionNice();
  if (nice === undefined) return 'no autogroups on this kernel: chatbench at its nice value, the server at its own';
  const why = nice <= MEASURING_NICE ? ' (raised while measuring)' : nice >= 0 ? ' (not raised: needs root or CAP_SYS_NICE)' : '';
  return `session autogroup nice ${nice}${why}`;
}

/**
 * Runs `f` with chatbench's session raised to MEASURING_NICE, then puts back what it found. A
 * session already at or above that priority (another chatbench in the same terminal) is left as it
 * is, and so is one changed by someone else meanwhile. Failing to raise it is not an error.
 */
export async function withMeasuringPriority<T>(f: () => Promise<T>): Promise<T> {
  const before = sessionNice();
  let raised = false;
  if (before !== undefined && before > MEASURING_NICE) {
    try {
      fs.writeFileSync(AUTOGROUP, String(MEASURING_NICE));
      raised = true;
    } catch {
      // EACCES/EPERM: not privileged; measured at the session's own priority, and recorded so
    }
  }
  try {
    return await f();
  } finally {
    if (raised && sessionNice() === MEASURING_NICE) {
      try {
        fs.writeFileSync(AUTOGROUP, String(before));
      } catch {
        // the session ends with chatbench's priority: nothing is lost
      }
    }
  }
}
