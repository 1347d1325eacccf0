// Typed errors shared by every layer; cli/ turns them into one line and an exit code.
// A leaf module: it imports nothing of ours, so any layer may throw these.

/** Bad flags or arguments: exit code 2, message names the flag, the value and what is allowed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** A configuration that parses but cannot work (unreachable paths, conflicting settings): exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 2;
}

/** Anything that went wrong while running: exit code 1. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly exitCode = 1;
}

/** A server-side error, keeping PostgreSQL's SQLSTATE, detail and hint. Exit code 1. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly exitCode = 1;
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  constructor(message: string, opts: { cause?: unknown; code?: string; detail?: string; hint?: string } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code;
    this.detail = opts.detail;
    this.hint = opts.hint;
  }
}

/** The run was interrupted (Ctrl-C): exit code 130, like a shell. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  readonly exitCode = 130;
  constructor(message = 'interrupted') {
    super(message);
  }
}

/** A results file that cannot be trusted (unreadable, a newer version, a counter identity broken): exit code 1. */
export class ResultsError extends Error {
  override readonly name = 'ResultsError';
  readonly exitCode = 1;
}

export type ChatbenchError = UsageError | ConfigError | RuntimeError | DatabaseError | InterruptedError | GateError | ResultsError;

export function isChatbenchError(e: unknown): e is ChatbenchError {
  return (
    e instanceof UsageError ||
    e instanceof ConfigError ||
    e instanceof RuntimeError ||
    e instanceof DatabaseError ||
    e instanceof InterruptedError ||
    e instanceof GateError ||
    e instanceof ResultsError
  );
}

/** The usage-error sentence every flag uses: invalid value "100X" for --messages: expected ... */
export function invalidFlag(flag: string, value: unknown, expected: string): UsageError {
  return new UsageError(`invalid value ${JSON.stringify(String(value))} for --${flag}: expected ${expected}`);
}

/** A check that ran and failed (schema audit findings, a regression gate): its own exit code. */
/** The exit code of a gate that failed: a regression beyond the threshold, or a missed --slo (as k6's thresholds). */
export const GATE_EXIT_CODE = 3;

export class GateError extends Error {
  override readonly name = 'GateError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}
