// Runs named tasks on a pool of connections: each in its own transaction with its progress mark,
// so a killed run resumes at the tasks not marked. A task waits for the steps it comes after (of
// its own variant), never runs beside a task holding a conflicting lock key (two maintenance
// commands on one table would wait on each other's locks), and the largest ready task goes first.
import pg from 'pg';
import { connectClient, SEED_CONNECT_TIMEOUT_MS, type Target } from '../db/target.ts';
import { toDatabaseError } from '../db/sqlstate.ts';
import { InterruptedError, isChatbenchError } from '../errors.ts';
import { taskMarkSql } from '../schema/bookkeeping.ts';

export interface TaskContext {
  client: pg.Client;
  /** True when fewer tasks are ready than connections are free: parallel workers would use an idle core. */
  tail: boolean;
}

export interface Task {
  variant: string;
  schema: string;
  /** Unique within the variant; the progress mark's name. */
  key: string;
  /** The step it belongs to (timeline and step times). */
  step: string;
  /** Steps (of the same variant) whose tasks must all be done first. */
  after: string[];
  /** Lock keys (of its schema): a task holding a key in `exclusive` never runs beside another task naming that key. */
  exclusive: string[];
  shared: string[];
  /** Estimated cost (pages, scaled by method): the heaviest ready task runs first, and the progress line's ETA counts it. */
  weight: number;
  /** Runs before any other ready task, whatever the weights (the DDL the others wait for). */
  first?: boolean;
  /** Runs inside a transaction unless `outsideTransaction` (VACUUM); returns a detail kept with the mark. */
  run(ctx: TaskContext): Promise<string | undefined>;
  outsideTransaction?: boolean;
}

export interface TaskDone {
  variant: string;
  key: string;
  step: string;
  slot: number;
  startMs: number;
  endMs: number;
  detail?: string;
  /** WAL written by the task's own connection (PostgreSQL 18's per-backend statistics). */
  walBytes?: number;
}

export type TaskEvent = { type: 'task'; phase: 'start' | 'end'; variant: string; key: string; step: string; slot: number; atMs: number; detail?: string };

export interface RunTasksOptions {
  target: Target;
  tasks: Task[];
  connections: number;
  signal: AbortSignal;
  /** ms since the seed started, for the timeline. */
  clock: () => number;
  onEvent: (e: TaskEvent) => void;
  /** Settings for every task connection (maintenance_work_mem ...). */
  settings?: Record<string, string>;
  /** The server keeps WAL statistics per backend (18 and later): each task's WAL is measured. */
  walPerBackend?: boolean;
}

/** Runs tasks until all are done; the first failure stops the others (their transactions roll back). */
export async function runTasks(opts: RunTasksOptions): Promise<TaskDone[]> {
  const pending = [...opts.tasks].sort((a, b) => Number(!!b.first) - Number(!!a.first) || b.weight - a.weight);
  const running = new Set<Task>();
  const done: TaskDone[] = [];
  let failure: unknown;
  const waiting = new Set<() => void>();
  const changed = () => {
    for (const res of waiting) res();
    waiting.clear();
  };
  // Tasks not finished, per variant and step; lock keys held by running tasks.
  const open = new Map<string, number>();
  const stepKey = (variant: string, step: string) => `${variant}\u0000${step}`;
  for (const t of pending) open.set(stepKey(t.variant, t.step), (open.get(stepKey(t.variant, t.step)) ?? 0) + 1);
  const held = new Map<string, { exclusive: number; shared: number }>();
  // Keys name relations of the task's own schema: the same name in two variants is two relations.
  const heldBy = (t: Task, k: string) => {
    const key = `${t.schema}\u0000${k}`;
    return held.get(key) ?? held.set(key, { exclusive: 0, shared: 0 }).get(key)!;
  };
  const hold = (t: Task, d: number) => {
    for (const k of t.exclusive) heldBy(t, k).exclusive += d;
    for (const k of t.shared) heldBy(t, k).shared += d;
  };
  const conflicts = (t: Task) => t.exclusive.some((k) => heldBy(t, k).exclusive + heldBy(t, k).shared > 0) || t.shared.some((k) => heldBy(t, k).exclusive > 0);
  const isReady = (t: Task) => !t.after.some((s) => (open.get(stepKey(t.variant, s)) ?? 0) > 0) && !conflicts(t);
  const firstReady = () => pending.find(isReady);
  const readyCount = (limit: number) => {
    let n = 0;
    for (const t of pending) if (isReady(t) && ++n >= limit) break;
    return n;
  };

  const worker = async (slot: number) => {
    let client: pg.Client | undefined;
    let lastWal: number | undefined;
    try {
      while (!failure && (pending.length || running.size)) {
        if (opts.signal.aborted) throw new InterruptedError('seed interrupted: run the same command again to resume at the steps not done');
        const next = firstReady();
        if (!next) {
          if (!pending.length) return;
          await new Promise<void>((res) => {
            waiting.add(res);
            setTimeout(res, 250); // and look again: an abort, or a failure elsewhere
          });
          continue;
        }
        pending.splice(pending.indexOf(next), 1);
        running.add(next);
        hold(next, 1);
        if (!client) {
          client = await connectClient(opts.target, { applicationName: 'chatbench seed post-load', connectTimeoutMs: SEED_CONNECT_TIMEOUT_MS });
          // A task lost in a crash loses its mark with it and runs again: no need to wait for each WAL flush.
          await client.query('SET synchronous_commit = off');
          for (const [k, v] of Object.entries(opts.settings ?? {})) await client.query(`SET ${k} = ${pg.escapeLiteral(v)}`);
        }
        const tail = readyCount(opts.connections) < opts.connections - running.size + 1;
        const startMs = opts.clock();
        opts.onEvent({ type: 'task', phase: 'start', variant: next.variant, key: next.key, step: next.step, slot, atMs: startMs });
        let detail: string | undefined;
        let wal: [number, number] | undefined;
        try {
          [detail, wal] = await runOne(client, next, tail, opts.walPerBackend === true, lastWal);
          lastWal = wal?.[1];
        } catch (e) {
          failure ??= isChatbenchError(e) ? e : toDatabaseError(e, `${next.variant}: ${next.step} (${next.key})`);
          throw failure;
        } finally {
          running.delete(next);
          hold(next, -1);
          open.set(stepKey(next.variant, next.step), open.get(stepKey(next.variant, next.step))! - 1);
          changed();
        }
        const endMs = opts.clock();
        done.push({ variant: next.variant, key: next.key, step: next.step, slot, startMs, endMs, detail, walBytes: wal ? wal[1] - wal[0] : undefined });
        opts.onEvent({ type: 'task', phase: 'end', variant: next.variant, key: next.key, step: next.step, slot, atMs: endMs, detail });
      }
    } catch (e) {
      failure ??= e;
      changed();
    } finally {
      await client?.end().catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.connections) }, (_, k) => worker(k)));
  if (failure) throw failure;
  return done;
}

/** The connection's WAL bytes so far, as of its last statistics flush (the previous statement forced one). */
const WAL_READ = 'SELECT wal_bytes::float8 AS wal FROM pg_stat_get_backend_wal(pg_backend_pid())';
const WAL_FLUSH = 'SELECT pg_stat_force_next_flush()';

/** Runs a task with its mark; returns its detail and the connection's WAL counter before and after. */
async function runOne(client: pg.Client, task: Task, tail: boolean, measureWal: boolean, lastWal: number | undefined): Promise<[string | undefined, [number, number] | undefined]> {
  const path = `SET search_path TO ${pg.escapeIdentifier(task.schema)}, public`;
  const t0 = performance.now();
  // The mark goes in the round trip of the COMMIT.
  const mark = (detail: string | undefined) => taskMarkSql(task.variant, task.key, performance.now() - t0, detail);
  // WAL is read where a round trip happens anyway: after a forced statistics flush, which the
  // backend does when it goes idle between two queries.
  const walOf = (r: pg.QueryResult | pg.QueryResult[]) => Number((Array.isArray(r) ? r[0] : r).rows[0].wal);
  let before = lastWal;
  if (measureWal && before === undefined) {
    await client.query(WAL_FLUSH);
    before = walOf(await client.query(WAL_READ));
  }
  let detail: string | undefined;
  if (task.outsideTransaction) {
    await client.query(path);
    detail = await task.run({ client, tail });
    await client.query(`${mark(detail)}${measureWal ? `; ${WAL_FLUSH}` : ''}`);
  } else {
    await client.query(`BEGIN; ${path.replace('SET ', 'SET LOCAL ')}`);
    try {
      detail = await task.run({ client, tail });
      await client.query(`${mark(detail)}; COMMIT${measureWal ? `; ${WAL_FLUSH}` : ''}`);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  }
  const after = measureWal ? walOf(await client.query(WAL_READ)) : undefined;
  return [detail, before !== undefined && after !== undefined ? [before, after] : undefined];
}
