// The commands runCli (helpers.ts) started that are still running, in this test file (each file
// has a process of its own). A test that times out is failed but its body runs on: its commands
// would go on into the next tests and past the file's teardown (a seed restarting a server the
// teardown had stopped). setup.ts kills them after every test; a file's teardown closes the door.
import type { ChildProcess } from 'node:child_process';

export const running = new Set<ChildProcess>();
let closed = false;
const closedHomes = new Set<string>();

/** Whether a command may no longer start: after the file's teardown, or with a CHATBENCH_HOME whose server was destroyed. */
export function commandsClosed(home: string | undefined): boolean {
  return closed || (home !== undefined && closedHomes.has(home));
}

/**
 * SIGKILLs every command still running. With `close`, refuses any later one (a timed-out test's
 * body's); with `closeHome`, any later one using that CHATBENCH_HOME (it would start its server).
 */
export function killCommands(opts: { close?: boolean; closeHome?: string } = {}): number {
  if (opts.close) closed = true;
  if (opts.closeHome) closedHomes.add(opts.closeHome);
  const n = running.size;
  for (const child of running) child.kill('SIGKILL');
  return n;
}
