// Executors, run inside a load worker: closed loop (virtual users, each waits for its answer) and
// open loop (operations due on a seeded arrival schedule; latency from the due time, so queueing is
// never hidden; schedule lag, the harness's own lateness and service time kept apart). Both record
// into per-operation HDR histograms and report each second's count and latencies as it closes.
import { CLIENT_ERROR_CODES } from '../db/sqlstate.ts';
import { TIMER_GRANULARITY_US, blockUntilUs, napUntilNearUs, nowUs, sleepUntilUs } from '../metrics/clock.ts';
import { OperationStats } from '../metrics/counters.ts';
import { record } from '../metrics/histogram.ts';
import { PauseMonitor, type EncodedPauses } from '../metrics/pauses.ts';
import { RowRng } from '../generate/random.ts';
import { DEFAULT_RUN_OPTIONS, type OperationDef, type Rows, type RunOptions, type VirtualUser, type World } from './api.ts';
import { EventWindow, type EncodedEventWindow, type EventSpan } from './event-window.ts';
import type { AnyScenario } from './registry.ts';
import { classify, losesConnection, type Failure, type Slot } from './connections.ts';

export interface Op {
  def: OperationDef<unknown>;
  /** Prepared-statement name, the same on every connection. */
  statement: string;
  index: number;
}

/** One second of a phase as it closes: what completed in it, and its latencies. */
export interface SecondReport {
  k: number;
  ops: number;
  errors: number;
  /**
   * The second's latencies in µs, as recorded (the receiver records them into the second's merged
   * histogram): sent as an array the thread hands over without copying, because compressing a
   * histogram here would stall the measuring thread for a millisecond or more, once a second.
   */
  latenciesUs: Float64Array;
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
  /** Garbage collections of this thread during the phase: pauses the harness itself added. */
  pauses: EncodedPauses;
  elapsedMs: number;
  interrupted: boolean;
  /** When the phase has an event: this thread's share of the other operations' split, and the event's figures where it ran. */
  eventWindow?: EncodedEventWindow;
}

export type LoadShape =
  | { kind: 'closed'; concurrency: number }
  | { kind: 'open'; ratePerSec: number; arrivals: 'poisson' | 'uniform'; maxLagMs?: number };

export interface PhaseOptions {
  scenario: AnyScenario;
  ops: Op[];
  vus: Array<VirtualUser<unknown>>;
  slots: Slot[];
  shape: LoadShape;
  durationMs: number;
  signal: AbortSignal;
  /** A seeded stream for arrival times (open loop). */
  arrivalSeed: number;
  onSecond?: (s: SecondReport) => void;
  /** Runs once at this time into the phase (the scenario's event), on its own connection. */
  event?: { atMs: number; op: Op; vu: VirtualUser<unknown>; slot: Slot };
  /** The event's span, shared by every worker of the phase (the one running the event writes it). */
  eventSpan?: EventSpan;
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

/** Fully decoded rows (answer checks) seen through the same interface as the lean path's. */
export function arrayRows(rows: unknown[][]): Rows {
  return { length: rows.length, value: (i, j) => rows[i]?.[j], row: (i) => rows[i] };
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

/**
 * Per-second counts and latencies. Only the current second is kept: each second is handed to
 * `report` as it closes, so a soak of hours holds nothing per second here.
 */
class Timeline {
  private latencies = new Float64Array(1024);
  private k = 0;
  private ops = 0;
  private errors = 0;
  constructor(
    private readonly startUs: number,
    private readonly report: ((s: SecondReport) => void) | undefined,
  ) {}
  add(atUs: number, latencyUs: number, error: boolean): void {
    const k = Math.max(0, Math.floor((atUs - this.startUs) / 1e6));
    if (k !== this.k) this.closeUntil(k);
    if (this.ops === this.latencies.length) {
      const bigger = new Float64Array(this.latencies.length * 2);
      bigger.set(this.latencies);
      this.latencies = bigger;
    }
    this.latencies[this.ops++] = latencyUs;
    if (error) this.errors++;
  }
  /** Reports every second before k (empty ones too) and starts second k. */
  closeUntil(k: number): void {
    for (; this.k < k; this.k++) {
      this.report?.({ k: this.k, ops: this.ops, errors: this.errors, latenciesUs: this.latencies.slice(0, this.ops) });
      this.ops = 0;
      this.errors = 0;
    }
  }
  /** Reports the seconds up to now, the current (partial) one included. */
  finish(atUs: number): void {
    this.closeUntil(Math.max(0, Math.floor((atUs - this.startUs) / 1e6)) + 1);
  }
}

interface Recorders {
  stats: OperationStats[];
  timeline: Timeline;
  outages: OutageLog;
  signal: AbortSignal;
  /** Set while the phase has an event: every other operation is recorded as in it or out of it. */
  window?: EventWindow;
}

/** Records a failed operation (no closure per operation: the hot path allocates little). */
function failed(r: Recorders, stats: OperationStats, c: Failure, fromUs: number, startUs: number, lag: number | undefined): void {
  const endUs = nowUs();
  stats.failedWith(c.code, c.name, c.message, endUs - fromUs, endUs - startUs, lag);
  r.timeline.add(endUs, endUs - fromUs, true);
  r.window?.record(fromUs, endUs, endUs - fromUs);
  r.outages.failed(endUs, c.code);
}

/**
 * Executes one operation for a user on a connection and records it; resolves after the answer (or
 * the error) and the scenario's after(). `dueUs` is the open loop's intended start.
 */
async function execute(slot: Slot, vu: VirtualUser<unknown>, op: Op, r: Recorders, dueUs?: number): Promise<void> {
  const stats = r.stats[op.index];
  let params: unknown[];
  try {
    params = op.def.params(vu);
  } catch (e) {
    stats.failedWith(CLIENT_ERROR_CODES.other, 'parameter generator failed', (e as Error).message, 0, 0);
    r.timeline.add(nowUs(), 0, true);
    return;
  }
  const startUs = nowUs();
  const fromUs = dueUs ?? startUs;
  const lag = dueUs === undefined ? undefined : Math.max(0, startUs - dueUs);
  let conn = slot.ready;
  if (!conn) {
    try {
      conn = await slot.get(r.signal);
    } catch (e) {
      // Reconnecting failed: the user's operation failed too, with the reason it could not connect.
      failed(r, stats, classify(e, true), fromUs, startUs, lag);
      return;
    }
  }
  let rows: Rows;
  try {
    rows = op.def.run ? arrayRows(await op.def.run(conn, params)) : await conn.query(op.statement, op.def.sql, params);
  } catch (e) {
    const c = classify(e);
    if (losesConnection(c.code)) slot.broken();
    failed(r, stats, c, fromUs, startUs, lag);
    return;
  }
  const endUs = nowUs();
  stats.succeeded(endUs - fromUs, endUs - startUs, lag);
  r.timeline.add(endUs, endUs - fromUs, false);
  r.window?.record(fromUs, endUs, endUs - fromUs);
  r.outages.succeeded(endUs);
  op.def.after?.(vu, rows);
}

/** Runs one phase (warm-up or measured) for durationMs on this thread; returns fresh statistics. */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const stats = o.ops.map(() => new OperationStats());
  const pauses = new PauseMonitor();
  const t0 = nowUs();
  const endUs = t0 + o.durationMs * 1000;
  const timeline = new Timeline(t0, o.onSecond);
  const outages = new OutageLog(t0);
  const window = o.eventSpan ? new EventWindow(o.eventSpan, t0) : undefined;
  const rec: Recorders = { stats, timeline, outages, signal: o.signal, window };
  const eventOp = o.scenario.event?.operation;
  const loadOps = o.ops.filter((op) => op.def.name !== eventOp);
  // Seconds with nothing completing are still reported as they pass.
  const ticker = setInterval(() => timeline.closeUntil(Math.floor((nowUs() - t0) / 1e6)), 250);

  const eventRun = o.event
    ? (async () => {
        await sleepUntilUs(t0 + o.event!.atMs * 1000, o.signal);
        if (o.signal.aborted) return;
        const conn = await o.event!.slot.get(o.signal).catch(() => undefined);
        await window?.begin(conn, nowUs);
        // The event itself is not one of the operations it is measured against.
        await execute(o.event!.slot, o.event!.vu, o.event!.op, { ...rec, window: undefined });
        await window?.end(o.event!.slot.ready, nowUs);
      })()
    : Promise.resolve();

  if (o.shape.kind === 'closed') await closedLoop(o, rec, endUs, loadOps);
  else await openLoop(o, o.shape, rec, t0, endUs, loadOps);
  await eventRun;
  clearInterval(ticker);
  const end = nowUs();
  timeline.finish(end);
  return { stats, outages: outages.outages, pauses: pauses.stop(), elapsedMs: (end - t0) / 1000, interrupted: o.signal.aborted, eventWindow: window?.encode() };
}

/**
 * Closed loop: each user sends, waits for its answer, and sends again, until the phase ends. With
 * a connection per user, each user keeps its own (no pool to wait on, nothing to time but the query).
 */
async function closedLoop(o: PhaseOptions, rec: Recorders, endUs: number, loadOps: Op[]): Promise<void> {
  const totalWeight = loadOps.reduce((a, op) => a + weightOf(op), 0);
  if (o.slots.length >= o.vus.length) {
    await Promise.all(
      o.vus.map(async (vu, i) => {
        const slot = o.slots[i];
        while (!o.signal.aborted && nowUs() < endUs) await execute(slot, vu, nextOp(o.scenario, loadOps, vu, totalWeight), rec);
      }),
    );
    return;
  }
  // With fewer connections than users, waiting for one is part of the latency.
  const pool = new SlotPool(o.slots);
  await Promise.all(
    o.vus.map(async (vu) => {
      while (!o.signal.aborted && nowUs() < endUs) {
        const op = nextOp(o.scenario, loadOps, vu, totalWeight);
        const wantUs = nowUs();
        const slot = await pool.acquire();
        try {
          await execute(slot, vu, op, rec, wantUs);
        } finally {
          pool.release(slot);
        }
      }
    }),
  );
}

interface Arrival {
  dueUs: number;
  vu: number;
  /** Not yet passed over for want of a free connection or user: its lateness is the harness's own. */
  fresh: boolean;
}

/**
 * Open loop. Arrival i is due at t0 + the sum of i seeded gaps and belongs to virtual user i mod V
 * (so each user's operations, and their parameters, come in the same order whatever the timing: an
 * arrival's operation is drawn when it starts or is dropped, after its user's previous one).
 * Due arrivals wait in one queue; any free connection takes the oldest whose user is not busy, as
 * pgbench's clients take its schedule. Latency counts from the due time. An arrival whose start
 * lag exceeds maxLag is dropped (pgbench --latency-limit); what is still queued when the phase ends
 * was never started and counts as dropped.
 *
 * Waiting for the next due time: further than the timers' granularity, on a timer; closer, with no
 * answer in flight, the thread blocks precisely (nothing else needs it); with answers in flight it
 * must keep serving its sockets, so it polls (setImmediate: answers and the clock are both seen as
 * they come), pausing about 60-80 µs between looks until the due time is near (POLL_NAP_US:
 * spinning took a core from the server and made the open loop's p99 2-3x larger). A wake-up thread
 * posting to it was tried and measured less precise on two cores (its own wake-up waits for a core
 * the server holds): 1.8-3.2 ms p99 lateness against 1.3-1.6 ms. Each answer also looks at the
 * schedule: what fell due while the thread was reading answers starts then, not at the next look
 * (a look waits behind every answer of one turn of the event loop: 150-450 µs at 2,000/s). Measured,
 * history page, 4 connections, 5 s, four alternating pairs each: start lateness p99 median 1,281
 * to 1,045 µs at 1,000/s and 672 to 566 µs at 2,000/s. What remains is mostly the machine's own
 * wake-up (metrics/clock bareScheduleLateness: a bare schedule, no database, sleeping until each due time).
 */
function openLoop(o: PhaseOptions, shape: Extract<LoadShape, { kind: 'open' }>, rec: Recorders, t0: number, endUs: number, loadOps: Op[]): Promise<void> {
  const totalWeight = loadOps.reduce((a, op) => a + weightOf(op), 0);
  const rng = new RowRng().reset(o.arrivalSeed);
  const meanGapUs = 1e6 / shape.ratePerSec;
  const gapUs = () => (shape.arrivals === 'uniform' ? meanGapUs : -Math.log(1 - rng.next()) * meanGapUs);
  const maxLagUs = shape.maxLagMs === undefined ? Infinity : shape.maxLagMs * 1000;
  const queue: Arrival[] = [];
  const freeSlots = [...o.slots];
  const busy = new Uint8Array(o.vus.length);
  let inFlight = 0;
  let nextDue = t0 + gapUs();
  let arrivals = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  // An arrival's operation is drawn when it starts or is dropped, not when it is due: a user's draws
  // (which operation, then its parameters) then come in its arrivals' order whatever the timing.
  const opOf = (a: Arrival) => nextOp(o.scenario, loadOps, o.vus[a.vu], totalWeight);
  const start = (a: Arrival, slot: Slot) => {
    busy[a.vu] = 1;
    inFlight++;
    const op = opOf(a);
    if (a.fresh) record(rec.stats[op.index].harnessLag, Math.max(0, nowUs() - a.dueUs));
    execute(slot, o.vus[a.vu], op, rec, a.dueUs).finally(() => {
      busy[a.vu] = 0;
      inFlight--;
      freeSlots.push(slot);
      enqueueDue(nowUs()); // what fell due while this answer was read starts now, not at the next look
      dispatch();
    });
  };
  /** Starts queued arrivals on free connections, oldest first, skipping users still busy. */
  const dispatch = () => {
    for (let i = 0; i < queue.length && freeSlots.length > 0; ) {
      const a = queue[i];
      if (busy[a.vu]) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      const now = nowUs();
      if (now - a.dueUs > maxLagUs || now >= endUs || o.signal.aborted) {
        // Too late, or the phase is over: not served in time.
        rec.stats[opOf(a).index].droppedOne();
        continue;
      }
      start(a, freeSlots.pop()!);
    }
    for (const a of queue) a.fresh = false;
    if (stopped && inFlight === 0) end();
  };
  let stopped = false;
  /** Queues everything due by `now` at its own due time (a late look never shifts the schedule). */
  const enqueueDue = (now: number): boolean => {
    let enqueued = false;
    while (nextDue <= now && nextDue < endUs && !stopped && !o.signal.aborted) {
      const vu = arrivals % o.vus.length;
      queue.push({ dueUs: nextDue, vu, fresh: true });
      arrivals++;
      nextDue += gapUs();
      enqueued = true;
    }
    return enqueued;
  };
  const end = () => {
    for (const a of queue.splice(0)) rec.stats[opOf(a).index].droppedOne();
    finish();
  };
  const tick = () => {
    timer = undefined;
    immediate = undefined;
    if (o.signal.aborted || nextDue >= endUs) {
      stopped = true;
      if (inFlight === 0) end();
      return;
    }
    let now = nowUs();
    if (nextDue - now < TIMER_GRANULARITY_US && inFlight === 0) {
      blockUntilUs(nextDue);
      now = nowUs();
    }
    if (enqueueDue(now)) dispatch();
    const wait = nextDue - nowUs();
    if (wait > TIMER_GRANULARITY_US) timer = setTimeout(tick, (wait - TIMER_GRANULARITY_US) / 1000);
    else {
      if (inFlight > 0) napUntilNearUs(nextDue); // gives the core to the server between looks
      immediate = setImmediate(tick); // polls, or blocks precisely once nothing is in flight
    }
  };
  const onAbort = () => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    tick();
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  tick();
  return done.finally(() => o.signal.removeEventListener('abort', onAbort));
}

/** Connections shared by virtual users when there are fewer connections than users. */
class SlotPool {
  private readonly idle: Slot[];
  private readonly waiting: Array<(s: Slot) => void> = [];
  constructor(slots: Slot[]) {
    this.idle = [...slots];
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
