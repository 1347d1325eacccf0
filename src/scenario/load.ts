// The load generator: worker threads (load-worker.ts), each with its own connections, clock and
// histograms, driven from here through one variant's phases; their seconds and statistics merge
// exactly (counts add, HDR histograms add), so any number of workers gives one result.
import { Worker } from 'node:worker_threads';
import type { ConnectionParams } from '../db/target.ts';
import { ConfigError, DatabaseError, RuntimeError, UsageError } from '../errors.ts';
import type { ModelParams } from '../generate/model.ts';
import { hash2 } from '../generate/random.ts';
import { OperationStats } from '../metrics/counters.ts';
import { decodeHistogram, newHistogram, record, type Histogram } from '../metrics/histogram.ts';
import type { LoadShape, Outage, SecondReport } from './executor.ts';
import type { EncodedStats } from '../metrics/counters.ts';
import type { EncodedPhase, FloorCommand, OpenCommand, PhaseCommand, PlanCounts, WorkerCommand, WorkerInit, WorkerMessage } from './load-protocol.ts';
import { mergeEventWindows, newEventSpan, type EventOutcome } from './event-window.ts';

const BOOT = new URL('./worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./load-worker.ts', import.meta.url).href;

export interface LoadOptions {
  params: ConnectionParams;
  scenarioFile: string;
  model: ModelParams;
  workers: number;
}

/** A variant's connections and users for one round: as a worker's open command, but for all workers (user count, all connections). */
export type OpenOptions = Omit<OpenCommand, 'op' | 'vus' | 'totalVus'> & { vus: number };

export interface SecondPoint {
  ops: number;
  errors: number;
  p99Us: number;
}

export interface MergedPhase {
  stats: OperationStats[];
  outages: Outage[];
  /** Garbage-collection pauses of every worker thread, merged. */
  pauses: { histogram: Histogram; count: number; totalUs: number };
  seconds: SecondPoint[];
  elapsedMs: number;
  interrupted: boolean;
  /** CPU time the whole chatbench process used during the phase (every thread), in ms. */
  cpuMs: number;
  /** The scenario's event, when it ran: its span, WAL, and every worker's other operations in and out of it. */
  event?: EventOutcome;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  onSecond: ((s: SecondReport) => void) | undefined;
  readonly ready: Promise<unknown>;

  constructor(readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
    worker.on('message', (m: WorkerMessage) => {
      if ('op' in m) {
        this.onSecond?.(m);
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.value);
      else p.reject(rebuildError(m.error));
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(new RuntimeError(`a load worker stopped: ${e.message}`, { cause: e }));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  call<T>(c: Exclude<WorkerCommand, { op: 'abort' }> extends infer X ? (X extends { id: number } ? Omit<X, 'id'> : never) : never): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...c, id });
    });
  }
}

/** A worker's error as the same kind of error here, so the command reports it as it would its own. */
function rebuildError(e: { message: string; code?: string; name: string; detail?: string; hint?: string }): Error {
  if (e.name === 'UsageError') return new UsageError(e.message);
  if (e.name === 'ConfigError') return new ConfigError(e.message);
  if (e.name === 'DatabaseError' || e.code) return new DatabaseError(e.message, { code: e.code, detail: e.detail, hint: e.hint });
  return new RuntimeError(`load worker: ${e.message}`);
}

/** How users, connections and rate split over workers: user k and connection c go to worker (k mod W). */
function share(total: number, workers: number, w: number): number[] {
  const out: number[] = [];
  for (let k = w; k < total; k += workers) out.push(k);
  return out;
}

export class LoadGenerator {
  private vus = 0;
  private perWorkerVus: number[][] = [];

  private constructor(private readonly handles: WorkerHandle[]) {}

  /** Starts the workers (each loads the scenario and rebuilds the data's model, in parallel). */
  static async start(o: LoadOptions): Promise<LoadGenerator> {
    const connection: WorkerInit['connection'] = { host: o.params.host, port: o.params.port, user: o.params.user, database: o.params.database, password: o.params.password, query: o.params.query.toString() };
    const handles = Array.from({ length: o.workers }, (_, index) => {
      const init: WorkerInit = { index, scenarioFile: o.scenarioFile, model: o.model, connection };
      return new WorkerHandle(new Worker(BOOT, { workerData: { ...init, entry: ENTRY }, stdout: false, stderr: false }));
    });
    const gen = new LoadGenerator(handles);
    try {
      await Promise.all(handles.map((h) => h.ready));
    } catch (e) {
      await gen.stop();
      throw e;
    }
    return gen;
  }

  get workers(): number {
    return this.handles.length;
  }

  /** Opens each worker's connections to a variant and builds its users for this round. */
  async open(o: OpenOptions): Promise<void> {
    const w = this.handles.length;
    this.vus = o.vus;
    this.perWorkerVus = this.handles.map((_, i) => share(o.vus, w, i));
    await Promise.all(
      this.handles.map((h, i) =>
        h.call<null>({
          op: 'open',
          schema: o.schema,
          vus: this.perWorkerVus[i],
          connections: share(o.connections, w, i).length,
          totalVus: o.vus,
          seed: o.seed,
          round: o.round,
          virtualStartMs: o.virtualStartMs,
          planCache: o.planCache,
          opTimeoutMs: o.opTimeoutMs,
          event: o.event && i === 0,
          applicationName: o.applicationName,
          options: o.options,
        } satisfies Omit<OpenCommand, never>),
      ),
    );
  }

  /** Runs one phase on every worker at once; merges their seconds and statistics. */
  async phase(o: { durationMs: number; shape: LoadShape; arrivalSeed: number; event?: { atMs: number } }, signal: AbortSignal, onSecond?: (k: number, s: SecondPoint) => void): Promise<MergedPhase> {
    const w = this.handles.length;
    const seconds: Array<{ reports: number; ops: number; errors: number; hist: Histogram }> = [];
    for (const h of this.handles) {
      h.onSecond = (s) => {
        const cell = (seconds[s.k] ??= { reports: 0, ops: 0, errors: 0, hist: newHistogram() });
        cell.reports++;
        cell.ops += s.ops;
        cell.errors += s.errors;
        for (const us of s.latenciesUs) record(cell.hist, us);
        if (cell.reports === w) onSecond?.(s.k, { ops: cell.ops, errors: cell.errors, p99Us: cell.hist.totalCount ? cell.hist.getValueAtPercentile(99) : 0 });
      };
    }
    const onAbort = () => this.handles.forEach((h) => h.worker.postMessage({ op: 'abort' } satisfies WorkerCommand));
    signal.addEventListener('abort', onAbort, { once: true });
    const cpu0 = process.cpuUsage();
    const eventSpan = o.event ? newEventSpan() : undefined;
    try {
      const parts = await Promise.all(
        this.handles.map((h, i) => {
          const mine = this.perWorkerVus[i].length;
          const shape: LoadShape = o.shape.kind === 'closed' ? { kind: 'closed', concurrency: mine } : { ...o.shape, ratePerSec: (o.shape.ratePerSec * mine) / this.vus };
          return h.call<EncodedPhase>({ op: 'phase', durationMs: o.durationMs, shape, arrivalSeed: i === 0 ? o.arrivalSeed : hash2(o.arrivalSeed, i), event: i === 0 ? o.event : undefined, eventSpan: eventSpan?.buffer as SharedArrayBuffer | undefined } satisfies Omit<PhaseCommand, never>);
        }),
      );
      const cpu = process.cpuUsage(cpu0);
      const pauses = { histogram: newHistogram(), count: 0, totalUs: 0 };
      for (const p of parts) {
        pauses.histogram.add(decodeHistogram(p.pauses.histogram));
        pauses.count += p.pauses.count;
        pauses.totalUs += p.pauses.totalUs;
      }
      return {
        stats: parts[0].stats.map((_, op) => OperationStats.merge(parts.map((p) => p.stats[op]))),
        outages: mergeOutages(parts.map((p) => p.outages)),
        pauses,
        seconds: seconds.map((c) => ({ ops: c?.ops ?? 0, errors: c?.errors ?? 0, p99Us: c?.hist.totalCount ? c.hist.getValueAtPercentile(99) : 0 })),
        elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
        interrupted: parts.some((p) => p.interrupted),
        cpuMs: (cpu.user + cpu.system) / 1000,
        event: eventSpan ? mergeEventWindows(parts.flatMap((p) => (p.eventWindow ? [p.eventWindow] : []))) : undefined,
      };
    } finally {
      signal.removeEventListener('abort', onAbort);
      for (const h of this.handles) h.onSecond = undefined;
    }
  }

  /** Generic and custom plans run so far, per statement, one entry per connection; null before PostgreSQL 14. */
  async planCounts(): Promise<PlanCounts> {
    const parts = await Promise.all(this.handles.map((h) => h.call<PlanCounts>({ op: 'plans' })));
    if (parts.some((p) => p === null)) return null;
    const out: NonNullable<PlanCounts> = {};
    for (const p of parts as Array<NonNullable<PlanCounts>>) for (const [name, list] of Object.entries(p)) (out[name] ??= []).push(...list);
    return out;
  }

  /** The harness's floor: SELECT 1 on one connection of the first worker, one user, closed loop. */
  async floor(o: Omit<FloorCommand, 'op'>): Promise<OperationStats> {
    return OperationStats.merge([await this.handles[0].call<EncodedStats>({ op: 'floor', ...o })]);
  }

  /** Parameter sets for EXPLAIN drawn by the run's first user, per operation (null where it has none). */
  explainParams(draws: number): Promise<Array<unknown[][] | null>> {
    return this.handles[0].call({ op: 'explain-params', draws });
  }

  /** Closes every worker's connections; returns how many reconnections they made. */
  async close(): Promise<number> {
    const counts = await Promise.all(this.handles.map((h) => h.call<number>({ op: 'close' }).catch(() => 0)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate().catch(() => 0)));
  }
}

/**
 * Load threads lent to several runs of one scenario on one data set, such as a capacity search's
 * steps: starting them costs seconds (each thread compiles the scenario and rebuilds the data's
 * model) that a 30 s step need not pay again. Workers keep nothing of a run between two opens. A run
 * with another scenario file, model or worker count replaces them; a run that failed discards them.
 */
export class LoadPool {
  private current: { key: string; load: LoadGenerator } | undefined;

  async get(o: LoadOptions): Promise<LoadGenerator> {
    const key = JSON.stringify([o.scenarioFile, o.model, o.workers, o.params.host, o.params.port, o.params.database, o.params.user]);
    if (this.current?.key === key) return this.current.load;
    await this.stop();
    const load = await LoadGenerator.start(o);
    this.current = { key, load };
    return load;
  }

  /** After a run that failed: its threads may be in any state, the next run starts fresh ones. */
  async discard(load: LoadGenerator): Promise<void> {
    if (this.current?.load === load) this.current = undefined;
    await load.stop();
  }

  async stop(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (c) await c.load.stop();
  }
}

/** One timeline of outages from every worker's: overlapping ones become one, their failures added. */
export function mergeOutages(lists: Outage[][]): Outage[] {
  const all = lists.flat().sort((a, b) => a.fromMs - b.fromMs);
  const out: Outage[] = [];
  for (const o of all) {
    const last = out[out.length - 1];
    if (last && o.fromMs <= last.toMs) {
      last.toMs = Math.max(last.toMs, o.toMs);
      last.open ||= o.open;
      for (const [code, n] of Object.entries(o.failures)) last.failures[code] = (last.failures[code] ?? 0) + n;
    } else {
      out.push({ ...o, failures: { ...o.failures } });
    }
  }
  return out;
}
