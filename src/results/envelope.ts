// The results envelope, stamped in one place for every kind of run: the schema version, a run id
// that sorts by time, start and end, the command that reproduces the run and where it ran.
import type { RunBase, RunEnvironment } from './types.ts';
import { RESULTS_SCHEMA_VERSION } from './types.ts';

/** What an engine knows when it starts a run. */
export interface RunStamp {
  /** Names the run id (history-scroll, seed, bench-replay, quickstart-history-scroll). */
  name: string;
  startedAt: Date;
  /** The command line that reproduces the run, secrets redacted. */
  command: string;
  environment: RunEnvironment;
}

/** A run id that sorts by time: 20261130-193005-history-scroll. */
export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${name.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}`;
}

/** The envelope of a run that ends now; `partial` when it was interrupted. */
export function envelope(s: RunStamp, partial: boolean, finishedAt = new Date()): RunBase {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: newRunId(s.name, s.startedAt),
    startedAt: s.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    command: s.command,
    partial,
    environment: s.environment,
  };
}
