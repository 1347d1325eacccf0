// Executors: closed loop (C virtual users, each waits for its answer) and open loop (operations
// scheduled at a rate; latency from the intended start, so queueing is never hidden; lag and
// service time kept apart). Both record into per-operation HDR histograms and a per-second timeline.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type pg from 'pg';
import { CLIENT_ERROR_CODES } from '../db/sqlstate.ts';
import { nowUs, sleepUntilUs } from '../metrics/clock.ts';
import { OperationStats } from '../metrics/counters.ts';
import { newHistogram, record, type Histogram } from '../metrics/histogram.ts';
import { RowRng } from '../generate/random.ts';
import { DEFAULT_RUN_OPTIONS, type OperationDef, type RunOptions, type VirtualUser, type World } from './api.ts';
import { EventWindow, type EventOutcome } from './event-window.ts';
import type { AnyScenario } from './registry.ts';
import { classify, losesConnection, type Slot } from './connections.ts';

export interface Op {
  def: OperationDef<unknown>;
  /** Prepared-statement name, the same on every connection. */
  statement: string;
  index: number;
}

export interface Second {
  ops: number;
  errors: number;
  p99Us: number;
}

/** A time the server could not be reached: from the first lost connection to the next success. */
export interface Outage {
  fromMs: number;
  toMs: number;
  /** Operations that failed in it, by SQLSTATE. */
  failures: Record<string, number>;
  /** Whether it was still going when the phase ended. */
  open: boolean;
}

export interface PhaseResult {
  stats: OperationStats[];
  outages: Outage[];
  /** How long the client's own event loop stalled (GC, parsing): latency the harness itself added. */
  eventLoopDelayUs: { p50: number; p99: number; max: number };
  /** One entry per second since the phase started. */
  seconds: Second[];
  /** The scenario's event, when it ran: its span, WAL, and the other operations' latency in and out of it. */
  event?: EventOutcome;
  elapsedMs: number;
  interrupted: boolean;
}

export type LoadShape =
  | { kind: 'closed'; concurrency: number }
  | { kind: 'open'; ratePerSec: number; arrivals: 'poisson' | 'uniform'; maxLagMs?: number };

export interface ExecutorOptions {
  scenario: AnyScenario;
  ops: Op[];
  vus: Array<VirtualUser<unknown>>;
  slots: Slot[];
  shape: LoadShape;
  durationMs: number;
  signal: AbortSignal;
  /** A seeded stream for arrival times (open loop). */
  arrivalSeed: number;
  onSecond?: (s: { elapsedMs: number; ops: number; errors: number; p99Us: number }) => void;
  /** Runs once at this time into the phase (the scenario's event), on its own connection. */
  event?: { atMs: number; op: Op; vu: VirtualUser<unknown>; slot: Slot };
}

export function makeVirtualUser(id: number, seedKey: number, world: World, mode: 'load' | 'check', scenario: AnyScenario, options: RunOptions = DEFAULT_RUN_OPTIONS): VirtualUser<unknown> {
  const rng = new RowRng().reset(seedKey);
  const vu = { id, rng, world, mode, options, state: undefined as unknown };
  vu.state = scenario.state(vu);
  return vu;
}

/** An operation's weight: 1 unless the scenario says otherwise. */
export function weightOf(op: Op): number {
  return op.def.weight ?? 1;
}

/** Picks the user's next operation: the scenario's session logic, or a weighted draw. */
export function nextOp(scenario: AnyScenario, ops: Op[], vu: VirtualUser<unknown>, totalWeight: number): Op {
  if (scenario.next) {
    const name = scenario.next(vu);
    const op = ops.find((o) => o.def.name === name);
    if (!op) throw new Error(`scenario ${scenario.name}: next() returned unknown operation ${name}`);
    return op;
  }
  let r = vu.rng.next() * totalWeight;
  for (const op of ops) {
    r -= weightOf(op);
    if (r < 0) return op;
  }
  return ops[ops.length - 1];
}

export async function runQuery(client: pg.Client, op: Op, params: unknown[]): Promise<unknown[][]> {
  if (op.def.run) return op.def.run(client, params);
  const r = await client.query({ name: op.statement, text: op.def.sql, values: params, rowMode: 'array' });
  return r.rows as unknown[][];
}

/** Opens an outage at the first lost connection and closes it at the next success. */
class OutageLog {
  readonly outages: Outage[] = [];
  private current: Outage | undefined;
  constructor(private readonly startUs: number) {}
  failed(atUs: number, code: string): void {
    if (!this.current && losesConnection(code)) {
      this.current = { fromMs: (atUs - this.startUs) / 1000, toMs: (atUs - this.startUs) / 1000, failures: {}, open: true };
      this.outages.push(this.current);
    }
    if (this.current) {
      this.current.failures[code] = (this.current.failures[code] ?? 0) + 1;
      this.current.toMs = (atUs - this.startUs) / 1000;
    }
  }
  succeeded(atUs: number): void {
    if (!this.current) return;
    this.current.toMs = (atUs - this.startUs) / 1000;
    this.current.open = false;
    this.current = undefined;
  }
}

interface Recorders {
  stats: OperationStats;
  timeline: Timeline;
  outages: OutageLog;
  signal: AbortSignal;
  /** Set while the phase has an event: every other operation is recorded as in it or out of it. */
  window?: EventWindow;
}

/**
 * Per-second throughput, errors and p99. Only the current second keeps a histogram (one is reused):
 * a soak of hours holds a few numbers per second, not a histogram per second.
 */
class Timeline {
  readonly seconds: Second[] = [];
  private readonly hist: Histogram = newHistogram();
  private histSecond = -1;
  constructor(private readonly startUs: number) {}
  add(atUs: number, latencyUs: number, error: boolean): void {
    const k = Math.max(0, Math.floor((atUs - this.startUs) / 1e6));
    while (this.seconds.length <= k) this.seconds.push({ ops: 0, errors: 0, p99Us: 0 });
    if (k !== this.histSecond) {
      this.close();
      this.histSecond = k;
    }
    const s = this.seconds[k];
    s.ops++;
    if (error) s.errors++;
    record(this.hist, latencyUs); // k is the current second: the clock is monotonic
  }
  /** p99 of second k, the current one included. */
  p99(k: number): number {
    if (k === this.histSecond) return this.hist.totalCount ? this.hist.getValueAtPercentile(99) : 0;
    return this.seconds[k]?.p99Us ?? 0;
  }
  close(): void {
    if (this.histSecond >= 0 && this.hist.totalCount) this.seconds[this.histSecond].p99Us = this.hist.getValueAtPercentile(99);
    this.hist.reset();
  }
}

/** Executes one operation for a user and records it; returns after the answer (or error). */
async function execute(slot: Slot, vu: VirtualUser<unknown>, op: Op, r: Recorders, intendedUs?: number): Promise<void> {
  let params: unknown[];
  try {
    params = op.def.params(vu);
  } catch (e) {
    const t = nowUs();
    r.stats.failedWith(CLIENT_ERROR_CODES.other, 'parameter generator failed', (e as Error).message, 0, 0);
    r.timeline.add(t, 0, true);
    return;
  }
  const startUs = nowUs();
  const fromUs = intendedUs ?? startUs;
  const lag = intendedUs === undefined ? undefined : Math.max(0, startUs - intendedUs);
  const fail = (c: { code: string; name: string; message: string }) => {
    const endUs = nowUs();
    r.stats.failedWith(c.code, c.name, c.message, endUs - fromUs, endUs - startUs, lag);
    r.timeline.add(endUs, endUs - fromUs, true);
    r.window?.record(fromUs, endUs, endUs - fromUs);
    r.outages.failed(endUs, c.code);
  };
  let client: pg.Client;
  try {
    client = await slot.get(r.signal);
  } catch (e) {
    // Reconnecting failed: the user's operation failed too, with the reason it could not connect.
    fail(classify(e, true));
    return;
  }
  try {
    const rows = await runQuery(client, op, params);
    const endUs = nowUs();
    r.stats.succeeded(endUs - fromUs, endUs - startUs, lag);
    r.timeline.add(endUs, endUs - fromUs, false);
    r.window?.record(fromUs, endUs, endUs - fromUs);
    r.outages.succeeded(endUs);
    op.def.after?.(vu, rows);
  } catch (e) {
    const c = classify(e);
    if (losesConnection(c.code)) slot.broken();
    fail(c);
  }
}

/** Runs one phase (warm-up or measured) for durationMs; returns fresh statistics. */
export async function runPhase(o: ExecutorOptions): Promise<PhaseResult> {
  const stats = o.ops.map(() => new OperationStats());
  const t0 = nowUs();
  const endUs = t0 + o.durationMs * 1000;
  const timeline = new Timeline(t0);
  const outages = new OutageLog(t0);
  const window = o.event ? new EventWindow(t0) : undefined;
  const rec = (op: Op): Recorders => ({ stats: stats[op.index], timeline, outages, signal: o.signal, window: op === o.event?.op ? undefined : window });
  let event: EventOutcome | undefined;
  const eventOp = o.scenario.event?.operation;
  const loadOps = o.ops.filter((op) => op.def.name !== eventOp);
  const totalWeight = loadOps.reduce((a, op) => a + weightOf(op), 0);
  const stopped = () => o.signal.aborted || nowUs() >= endUs;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();

  let lastReported = 0;
  const reporter = setInterval(() => {
    const k = Math.floor((nowUs() - t0) / 1e6) - 1;
    if (k < lastReported || !o.onSecond) return;
    for (; lastReported <= k; lastReported++) {
      const s = timeline.seconds[lastReported];
      o.onSecond({ elapsedMs: (lastReported + 1) * 1000, ops: s?.ops ?? 0, errors: s?.errors ?? 0, p99Us: timeline.p99(lastReported) });
    }
  }, 250);

  const eventRun = o.event
    ? (async () => {
        await sleepUntilUs(t0 + o.event!.atMs * 1000, o.signal);
        if (o.signal.aborted) return;
        const client = await o.event!.slot.get(o.signal).catch(() => undefined);
        await window!.begin(client, nowUs);
        await execute(o.event!.slot, o.event!.vu, o.event!.op, rec(o.event!.op));
        event = await window!.end(client, nowUs);
      })()
    : Promise.resolve();

  if (o.shape.kind === 'closed') {
    const pool = new SlotPool(o.slots);
    await Promise.all(
      o.vus.map(async (vu) => {
        while (!stopped()) {
          const op = nextOp(o.scenario, loadOps, vu, totalWeight);
          // With fewer connections than users, waiting for one is part of the latency.
          const wantUs = nowUs();
          const slot = await pool.acquire();
          try {
            await execute(slot, vu, op, rec(op), pool.size < o.vus.length ? wantUs : undefined);
          } finally {
            pool.release(slot);
          }
        }
      }),
    );
  } else {
    await openLoop(o, o.shape, stats, rec, t0, endUs, loadOps, totalWeight);
  }
  await eventRun;
  clearInterval(reporter);
  timeline.close();
  delay.disable();
  const eventLoopDelayUs = { p50: delay.percentile(50) / 1000, p99: delay.percentile(99) / 1000, max: delay.max / 1000 };
  return { stats, outages: outages.outages, eventLoopDelayUs, seconds: timeline.seconds, elapsedMs: (nowUs() - t0) / 1000, interrupted: o.signal.aborted, event };
}

/**
 * Open loop: arrival i is due at t0 + sum of gaps; it goes to virtual user i mod V, whose
 * connection works through its queue in order. Latency counts from the due time; an arrival whose
 * start lag exceeds maxLag is dropped (like pgbench --latency-limit); arrivals still queued when
 * the phase ends were never started and count as dropped.
 */
async function openLoop(o: ExecutorOptions, shape: Extract<LoadShape, { kind: 'open' }>, stats: OperationStats[], rec: (op: Op) => Recorders, t0: number, endUs: number, loadOps: Op[], totalWeight: number): Promise<void> {
  const arrivals = new RowRng().reset(o.arrivalSeed);
  const gapUs = () => (shape.arrivals === 'uniform' ? 1e6 / shape.ratePerSec : (-Math.log(1 - arrivals.next()) * 1e6) / shape.ratePerSec);
  const queues: Array<Array<{ dueUs: number; op: Op }>> = o.vus.map(() => []);
  const busy: boolean[] = o.vus.map(() => false);
  // One drain per user at a time; keeping only the latest keeps a long soak's memory flat.
  const drains: Array<Promise<void>> = o.vus.map(() => Promise.resolve());
  const maxLagUs = shape.maxLagMs === undefined ? Infinity : shape.maxLagMs * 1000;
  const drain = async (k: number) => {
    busy[k] = true;
    const slot = o.slots[k % o.slots.length];
    while (queues[k].length && !o.signal.aborted) {
      const item = queues[k].shift()!;
      if (nowUs() - item.dueUs > maxLagUs) {
        stats[item.op.index].droppedOne();
        continue;
      }
      if (nowUs() >= endUs) {
        // The phase is over: what has not started by now was not served in time.
        stats[item.op.index].droppedOne();
        continue;
      }
      await execute(slot, o.vus[k], item.op, rec(item.op), item.dueUs);
    }
    busy[k] = false;
  };
  let due = t0 + gapUs();
  let i = 0;
  while (due < endUs && !o.signal.aborted) {
    await sleepUntilUs(due, o.signal);
    // Everything due by now is enqueued at its own due time: timer jitter never shifts a schedule.
    const now = nowUs();
    while (due <= now && due < endUs) {
      const k = i % o.vus.length;
      const op = nextOp(o.scenario, loadOps, o.vus[k], totalWeight);
      queues[k].push({ dueUs: due, op });
      if (!busy[k]) drains[k] = drain(k);
      i++;
      due += gapUs();
    }
  }
  await Promise.all(drains);
  for (const q of queues) for (const item of q.splice(0)) stats[item.op.index].droppedOne();
}

/** Connections shared by virtual users when there are fewer connections than users. */
class SlotPool {
  private readonly idle: Slot[];
  private readonly waiting: Array<(s: Slot) => void> = [];
  readonly size: number;
  constructor(slots: Slot[]) {
    this.idle = [...slots];
    this.size = slots.length;
  }
  acquire(): Promise<Slot> {
    const s = this.idle.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => this.waiting.push(resolve));
  }
  release(s: Slot): void {
    const w = this.waiting.shift();
    if (w) w(s);
    else this.idle.push(s);
  }
}
