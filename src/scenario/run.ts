// A scenario run: the same workload, with the same parameter sequence, against each variant on the
// same server. Answer checks first; then the harness's own floor and, round after round with the
// designs interleaved (A B, B A, ...), each variant's named, timed steps: setup (first round) ->
// warm-up -> measure -> evidence; after the last round, explain (the plans that ran) and teardown.
// Returns the whole results file.
import type pg from 'pg';
import { runEnvironment, relationSizes } from '../db/facts.ts';
import { connectClient, connectLean, type Target } from '../db/target.ts';
import { toDatabaseError } from '../db/sqlstate.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import { loadModel, modelParamsOf, type Model } from '../generate/model.ts';
import { hash2 } from '../generate/random.ts';
import { OperationStats } from '../metrics/counters.ts';
import { encodeHistogram, newHistogram, percentiles, spectrum } from '../metrics/histogram.ts';
import { describePriority, PRIORITY_SAMPLE_MS, type Priority, watchPriority } from '../metrics/priority.ts';
import { evaluateVariantSlo } from '../metrics/slo.ts';
import { envelope } from '../results/envelope.ts';
import { checkIdentities } from '../results/io.ts';
import type { EventResult, OperationResult, ScenarioResults, SloTerm, TimelinePoint, VariantScenarioResult } from '../results/types.ts';
import { advanceClock, sameData, seedRecords, type StoredPlan } from '../schema/bookkeeping.ts';
import { retentionMethodOf } from '../schema/retention.ts';
import { partitionKey, rangeUnit, type Variant } from '../schema/variants.ts';
import { DEFAULT_RUN_OPTIONS, type RunOptions, type VariantInfo } from './api.ts';
import type { EventOutcome } from './event-window.ts';
import { answerChecks, plain } from './checks.ts';
import { Slot } from './connections.ts';
import {
  ensurePgss,
  explainPrepared,
  partitionMap,
  resetStatements,
  snapshotDatabase,
  snapshotStatements,
  statementDelta,
  statementIds,
  walBytesBetween,
  type DatabaseCounters,
  type PlanKind,
  type StatementCounters,
} from './evidence.ts';
import type { LoadShape, Op } from './executor.ts';
import { LoadGenerator, type LoadPool, type MergedPhase, type SecondPoint } from './load.ts';
import { FLOOR_SQL, roundKey, statementName, type PlanCounts } from './load-protocol.ts';
import { microBench } from './micro.ts';
import type { AnyScenario } from './registry.ts';
import { buildWorld } from './world.ts';

export interface ScenarioRunConfig {
  scenario: AnyScenario;
  /** Where the scenario is defined: load workers import it themselves. */
  scenarioFile: string;
  variants: Variant[];
  shape: LoadShape;
  connections: number;
  durationMs: number;
  warmupMs: number;
  seed: number;
  explain: boolean;
  mode: 'load' | 'micro';
  /** statement_timeout for the scenario's operations (--op-timeout); cancelled ones fail with 57014. */
  opTimeoutMs?: number;
  /** Run on the seeded ones among `variants` (when the user named none). */
  onlySeeded?: boolean;
  /** Load worker threads. */
  workers: number;
  /** Rounds interleaving the variants; the measured time is split between them. */
  rounds: number;
  planCache: 'auto' | 'custom' | 'generic';
  /** What the scenario may read of the run's choices (--retention-method); defaults when absent. */
  options?: RunOptions;
  /** A latency objective (--slo) checked on each variant once measured; the results say whether it was met. */
  slo?: SloTerm[];
}

export type RunEvent =
  | { type: 'log'; message: string }
  | { type: 'phase'; variant: string; phase: 'setup' | 'warmup' | 'measure' | 'evidence' | 'explain' | 'teardown'; round?: number }
  | { type: 'second'; variant: string; phase: 'warmup' | 'measure'; elapsedMs: number; ops: number; errors: number; p99Us: number }
  | { type: 'variant-done'; variant: string; result: VariantScenarioResult }
  /** The session's nice over the run, for a caller that combines several runs' (capacity, growth). */
  | { type: 'priority'; priority: Priority };

function variantInfo(v: Variant): VariantInfo {
  return {
    name: v.name,
    schema: v.schema,
    partitioning: rangeUnit(v),
    partitionKey: partitionKey(v),
    timeIndex: v.timeIndex,
    indexes: v.indexes ?? 'full',
    fullTextSearch: v.features.fullTextSearch,
    messageCountTrigger: v.features.messageCountTrigger,
  };
}

interface SeedState {
  plan: StoredPlan;
  virtualNowMs: number;
  seedOf: Map<string, VariantScenarioResult['seed']>;
}

/** Every variant must be seeded, with the same data; returns the plan and the latest virtual time. */
async function seededState(client: pg.Client, variants: Variant[]): Promise<SeedState> {
  const byName = await seedRecords(client, variants.map((v) => v.name));
  const unseeded = variants.filter((v) => byName.get(v.name)?.status !== 'complete').map((v) => v.name);
  if (unseeded.length) throw new UsageError(`variant(s) ${unseeded.join(', ')} not seeded yet: run "npm run seed -- --variants ${unseeded.join(',')}" first (a seed that did not finish resumes with the same command)`);
  const plans = variants.map((v) => byName.get(v.name)!.plan);
  const differ = variants.filter((_, i) => !sameData(plans[i], plans[0])).map((v) => v.name);
  if (differ.length) {
    throw new UsageError(`variants ${variants[0].name} and ${differ.join(', ')} hold different data sets: seed them with the same command so the comparison means something`);
  }
  const virtualNowMs = Math.max(plans[0].endMs, ...variants.map((v) => byName.get(v.name)!.virtualNowMs ?? plans[0].endMs));
  const seedOf = new Map(
    variants.map((v) => {
      const row = byName.get(v.name)!;
      return [v.name, { steps: row.steps, loadRowsPerSec: row.facts?.loadRowsPerSec ?? 0, totalBytes: row.facts?.totalBytes ?? 0 }];
    }),
  );
  return { plan: plans[0], virtualNowMs, seedOf };
}

const LOAD_APPLICATION = 'chatbench scenario';
const RESOURCE_SAMPLE_MS = 5000;
const SERVER_RETURN_MS = 60_000;
/** Parameter sets EXPLAIN times each plan kind on (the median is kept). */
const EXPLAIN_DRAWS = 3;
/** Virtual time between two rounds' writes on a variant, beyond the round's own length. */
const ROUND_GAP_MS = 60_000;

/**
 * The control connection (evidence, sizes) after the measured phase: if the server restarted
 * meanwhile, a fresh one. Throws only if the server is still unreachable.
 */
async function liveControl(target: Target, schema: string, control: pg.Client): Promise<pg.Client> {
  try {
    await control.query('SELECT 1');
    return control;
  } catch {
    control.end().catch(() => {});
  }
  // The measured phase may end in an outage: give the server time to come back.
  const deadline = performance.now() + SERVER_RETURN_MS;
  for (let waitMs = 100; ; waitMs = Math.min(2000, waitMs * 2)) {
    try {
      return await connectClient(target, { schema, applicationName: 'chatbench scenario control' });
    } catch (e) {
      if (performance.now() + waitMs > deadline) throw new RuntimeError(`the server did not come back within ${SERVER_RETURN_MS / 1000} s of the end of the measured phase, so its evidence cannot be read: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

type Resources = NonNullable<VariantScenarioResult['resources']>;

/**
 * Samples chatbench's memory and the run's server connections every few seconds of a phase, on a
 * connection of its own that reconnects after an outage (a sample during one says null).
 */
function sampleResources(target: Target, everyMs: number): { stop(): Promise<Resources> } {
  const t0 = performance.now();
  const samples: Resources = [];
  const monitor = new Slot(() => connectLean(target.params, { applicationName: 'chatbench scenario monitor' }));
  const idle = new AbortController().signal;
  const query = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${LOAD_APPLICATION}' AND backend_type = 'client backend'`;
  let pending = Promise.resolve();
  const take = () => {
    pending = pending.then(async () => {
      const mem = process.memoryUsage();
      let serverConnections: number | null = null;
      try {
        const c = await monitor.get(idle);
        serverConnections = Number((await c.simpleQuery(query)).value(0, 0));
      } catch {
        monitor.broken(); // the server is away: this sample says null, the next one reconnects
      }
      samples.push({ t: Math.round((performance.now() - t0) / 100) / 10, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, serverConnections });
    });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      take();
      await pending;
      await monitor.close();
      return samples;
    },
  };
}

/** What one round measured on one variant. */
interface RoundResult {
  round: number;
  warm: MergedPhase | undefined;
  measured: MergedPhase;
  /** Per operation: the server's counters over the measured window (undefined without pg_stat_statements). */
  server: Array<StatementCounters | undefined>;
  /** Per statement: plans run in the measured window, per connection; null before PostgreSQL 14. */
  plans: PlanCounts;
  db0: DatabaseCounters;
  db1: DatabaseCounters;
  walBytes: number;
  reconnects: number;
  resources: Resources;
  /** Parameter sets for EXPLAIN from the run's first user (last round only). */
  explainParams?: Array<unknown[][] | null>;
}

/** Per statement, the plans of the window [before, after] on each connection. */
function planDelta(before: PlanCounts, after: PlanCounts): PlanCounts {
  if (!before || !after) return null;
  const out: NonNullable<PlanCounts> = {};
  for (const [name, list] of Object.entries(after)) {
    out[name] = list.map((a, i) => ({ generic: a.generic - (before[name]?.[i]?.generic ?? 0), custom: a.custom - (before[name]?.[i]?.custom ?? 0) }));
  }
  return out;
}

interface RunContext {
  target: Target;
  cfg: ScenarioRunConfig;
  ops: Op[];
  load: LoadGenerator;
  model: Promise<Model>;
  signal: AbortSignal;
  onEvent: (e: RunEvent) => void;
  /** Virtual time at which variant writes of round 0 start. */
  virtualStartMs: number;
  roundSpanMs: number;
  roundDurationMs: number;
  warmupOf(round: number): number;
  /** Per variant, the time of each named step so far. */
  steps: Map<string, Map<StepName, number>>;
}

/** How many virtual users a shape runs. */
function usersOf(cfg: ScenarioRunConfig): number {
  return cfg.shape.kind === 'closed' ? cfg.shape.concurrency : cfg.connections;
}

type StepName = 'setup' | 'warmup' | 'measure' | 'evidence' | 'explain' | 'teardown';

/**
 * One named step of a variant, timed: its time is added to the variant's steps (a step of every
 * round counts once per round), the way the seeder names and times its own.
 */
async function step<T>(ctx: RunContext, v: Variant, name: StepName, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const steps = ctx.steps.get(v.name) ?? new Map<StepName, number>();
    steps.set(name, (steps.get(name) ?? 0) + performance.now() - t0);
    ctx.steps.set(v.name, steps);
  }
}

/** The scenario's own setup on a variant (first round only): its tables, its rows. */
async function setupStep(ctx: RunContext, v: Variant, control: pg.Client): Promise<void> {
  const { cfg, onEvent } = ctx;
  if (!cfg.scenario.setup) return;
  onEvent({ type: 'phase', variant: v.name, phase: 'setup' });
  const world = buildWorld(await ctx.model, ctx.virtualStartMs, () => 0);
  await cfg.scenario.setup({ client: control, world, variant: variantInfo(v), log: (m) => onEvent({ type: 'log', message: `${v.name}: ${m}` }) }).catch((e) => {
    throw toDatabaseError(e, `${cfg.scenario.name} setup on ${v.name}`);
  });
}

/** The load's connections for this round, then its warm-up (not measured). */
async function warmupStep(ctx: RunContext, v: Variant, round: number, arrivalSeed: number): Promise<MergedPhase | undefined> {
  const { cfg, load } = ctx;
  const vus = usersOf(cfg);
  await load.open({
    schema: v.schema,
    vus,
    connections: Math.min(cfg.connections, vus),
    seed: cfg.seed,
    round,
    virtualStartMs: ctx.virtualStartMs + round * ctx.roundSpanMs,
    planCache: cfg.planCache,
    opTimeoutMs: cfg.opTimeoutMs,
    event: Boolean(cfg.scenario.event),
    applicationName: LOAD_APPLICATION,
    options: cfg.options ?? DEFAULT_RUN_OPTIONS,
  });
  const warmupMs = ctx.warmupOf(round);
  if (warmupMs <= 0) return undefined;
  ctx.onEvent({ type: 'phase', variant: v.name, phase: 'warmup', round });
  return load.phase({ durationMs: warmupMs, shape: cfg.shape, arrivalSeed: hash2(arrivalSeed, 1) }, ctx.signal, second(ctx, v.name, 'warmup'));
}

/** The server's counters as the measured window opens: nothing is in flight, so they match ours exactly. */
interface EvidenceWindow {
  ids: Map<string, string>;
  idList: string[];
  reset: boolean;
  stmts0: Awaited<ReturnType<typeof snapshotStatements>>;
  db0: DatabaseCounters;
  plans0: PlanCounts;
}

type Measured = Pick<RoundResult, 'measured' | 'plans' | 'reconnects' | 'resources' | 'explainParams'>;

/** The measured phase, with resources sampled through it; the load's connections are closed after it. */
async function measureStep(ctx: RunContext, v: Variant, round: number, last: boolean, arrivalSeed: number, window: EvidenceWindow): Promise<Measured> {
  const { cfg, load, signal } = ctx;
  ctx.onEvent({ type: 'phase', variant: v.name, phase: 'measure', round });
  const sampler = sampleResources(ctx.target, RESOURCE_SAMPLE_MS);
  const event = cfg.scenario.event ? { atMs: ctx.roundDurationMs * cfg.scenario.event.atFraction } : undefined;
  const measured = await load.phase({ durationMs: ctx.roundDurationMs, shape: cfg.shape, arrivalSeed, event }, signal, second(ctx, v.name, 'measure'));
  const resources = await sampler.stop();
  const plans = planDelta(window.plans0, await load.planCounts().catch(() => null));
  const explainParams = last && cfg.explain && !signal.aborted ? await load.explainParams(EXPLAIN_DRAWS) : undefined;
  const reconnects = await load.close();
  return { measured, plans, reconnects, resources, explainParams };
}

/** The server's side of the measured window: statements, database counters and WAL, closed now. */
async function evidenceStep(ctx: RunContext, v: Variant, round: number, control: pg.Client, window: EvidenceWindow): Promise<Pick<RoundResult, 'server' | 'db0' | 'db1' | 'walBytes'>> {
  ctx.onEvent({ type: 'phase', variant: v.name, phase: 'evidence', round });
  const stmts1 = await snapshotStatements(control, window.idList);
  const db1 = await snapshotDatabase(control);
  return {
    server: ctx.ops.map((op) => statementDelta(window.stmts0, stmts1, window.ids.get(op.def.sql), window.reset)),
    db0: window.db0,
    db1,
    walBytes: await walBytesBetween(control, window.db0.walLsn, db1.walLsn),
  };
}

/** One round on one variant: setup (first round), warm-up, measure, evidence; each step a function returning its part. */
async function measureRound(ctx: RunContext, v: Variant, round: number, first: boolean, last: boolean): Promise<RoundResult> {
  let control = await connectClient(ctx.target, { schema: v.schema, applicationName: 'chatbench scenario control' });
  try {
    if (first) await step(ctx, v, 'setup', () => setupStep(ctx, v, control));
    let closed = false;
    try {
      const arrivalSeed = roundKey(hash2(ctx.cfg.seed, 0xa221), round);
      const ids = await statementIds(control, [...new Set(ctx.ops.map((o) => o.def.sql))]);
      const idList = [...new Set(ids.values())];
      const warm = await step(ctx, v, 'warmup', () => warmupStep(ctx, v, round, arrivalSeed));
      const reset = await resetStatements(control, idList);
      const window: EvidenceWindow = { ids, idList, reset, stmts0: await snapshotStatements(control, idList), db0: await snapshotDatabase(control), plans0: await ctx.load.planCounts() };
      const measured = await step(ctx, v, 'measure', () => measureStep(ctx, v, round, last, arrivalSeed, window));
      closed = true;
      control = await liveControl(ctx.target, v.schema, control);
      const evidence = await step(ctx, v, 'evidence', () => evidenceStep(ctx, v, round, control, window));
      return { round, warm, ...measured, ...evidence };
    } finally {
      if (!closed) await ctx.load.close();
    }
  } finally {
    await control.end().catch(() => {});
  }
}

function second(ctx: RunContext, variant: string, phase: 'warmup' | 'measure'): (k: number, s: SecondPoint) => void {
  return (k, s) => ctx.onEvent({ type: 'second', variant, phase, elapsedMs: (k + 1) * 1000, ...s });
}

/** Whole seconds only: a last, partial second would show as a false drop in throughput. */
function timelinePoints(phase: MergedPhase, offsetS: number): TimelinePoint[] {
  return phase.seconds.slice(0, Math.max(1, Math.floor(phase.elapsedMs / 1000))).map((s, k) => ({ t: k + offsetS, ops: s.ops, errors: s.errors, p99Us: s.p99Us }));
}

function operationResult(op: Op, stats: OperationStats, open: boolean): OperationResult {
  return {
    name: op.def.name,
    attempted: stats.attempted,
    ok: stats.ok,
    failed: stats.failed,
    dropped: stats.dropped,
    errors: Object.fromEntries(stats.errors),
    latencyUs: percentiles(stats.latency),
    serviceUs: percentiles(stats.service),
    lagUs: open ? percentiles(stats.lag) : undefined,
    harnessLagUs: open ? percentiles(stats.harnessLag) : undefined,
    histograms: { latency: encodeHistogram(stats.latency), service: encodeHistogram(stats.service) },
    spectrum: spectrum(stats.latency),
  };
}

/** A variant's rounds as one result: counts and histograms added, server evidence summed. */
function variantResult(ctx: RunContext, v: Variant, rounds: RoundResult[]): VariantScenarioResult {
  const open = ctx.cfg.shape.kind === 'open';
  const operations = ctx.ops.map((op) => {
    const merged = new OperationStats();
    for (const r of rounds) merged.add(r.measured.stats[op.index].encode());
    const res = operationResult(op, merged, open);
    if (rounds.length > 1) res.rounds = rounds.map((r) => ({ ok: r.measured.stats[op.index].ok, p50Us: percentiles(r.measured.stats[op.index].latency).p50, p99Us: percentiles(r.measured.stats[op.index].latency).p99 }));
    const deltas = rounds.map((r) => r.server[op.index]);
    if (deltas.every((d) => d)) {
      const calls = deltas.reduce((a, d) => a + d!.calls, 0);
      const total = deltas.reduce((a, d) => a + d!.totalExecMs, 0);
      res.server = {
        calls,
        meanExecMs: calls ? total / calls : 0,
        maxExecMs: Math.max(...deltas.map((d) => d!.maxExecMs)),
        sharedHit: deltas.reduce((a, d) => a + d!.sharedHit, 0),
        sharedRead: deltas.reduce((a, d) => a + d!.sharedRead, 0),
        rows: deltas.reduce((a, d) => a + d!.rows, 0),
      };
    }
    // Operations sharing one statement text share its server counters; say so rather than split them.
    const sharing = ctx.ops.filter((o) => o.def.sql === op.def.sql).length;
    if (sharing > 1 && res.server) res.note = `server counters are shared by the ${sharing} operations with the same statement`;
    if (op.def.run && res.server && res.server.calls !== res.ok) res.note = 'ran its own statements (detaching concurrently): the server counters above are those of its sql only';
    const note = op.def.note?.(variantInfo(v));
    if (note) res.note = res.note ? `${res.note}; ${note}` : note;
    const perConnection = rounds.flatMap((r) => r.plans?.[op.statement] ?? []).filter((c) => c.generic + c.custom > 0);
    if (rounds.every((r) => r.plans) && perConnection.length) {
      const settled = new Set(perConnection.map((c) => (c.generic > c.custom ? 'generic' : 'custom')));
      res.planKinds = { generic: perConnection.reduce((a, c) => a + c.generic, 0), custom: perConnection.reduce((a, c) => a + c.custom, 0), mixed: settled.size > 1, perConnection };
    }
    return res;
  });
  const measuredMs = rounds.reduce((a, r) => a + r.measured.elapsedMs, 0);
  const totalOk = operations.reduce((a, o) => a + o.ok, 0);
  const gc = newHistogram();
  let gcCount = 0;
  let gcUs = 0;
  for (const r of rounds) {
    gc.add(r.measured.pauses.histogram);
    gcCount += r.measured.pauses.count;
    gcUs += r.measured.pauses.totalUs;
  }
  const timeline: TimelinePoint[] = [];
  const warm = rounds[0]?.warm;
  if (warm) timeline.push(...timelinePoints(warm, -Math.max(1, Math.floor(warm.elapsedMs / 1000))));
  const outages: NonNullable<VariantScenarioResult['outages']> = [];
  const resources: Resources = [];
  let offsetMs = 0;
  for (const r of rounds) {
    timeline.push(...timelinePoints(r.measured, Math.round(offsetMs / 1000)));
    outages.push(...r.measured.outages.map((x) => ({ ...x, fromMs: Math.round(x.fromMs + offsetMs), toMs: Math.round(x.toMs + offsetMs) })));
    resources.push(...r.resources.map((x) => ({ ...x, t: Math.round((x.t + offsetMs / 1000) * 10) / 10 })));
    offsetMs += Math.floor(r.measured.elapsedMs / 1000) * 1000;
  }
  const sum = (f: (r: RoundResult) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const eventOp = ctx.cfg.scenario.event ? ctx.ops.find((o) => o.def.name === ctx.cfg.scenario.event!.operation) : undefined;
  // An event happens in one round (a scenario with one runs one round).
  const eventRound = eventOp ? rounds.find((r) => r.measured.event) : undefined;
  const options = ctx.cfg.options ?? DEFAULT_RUN_OPTIONS;
  const retentionMethod = ctx.cfg.scenario.runOptions?.includes('retentionMethod') ? { requested: options.retentionMethod, used: retentionMethodOf(v, options.retentionMethod) } : undefined;
  const hit = sum((r) => r.db1.blksHit - r.db0.blksHit);
  const read = sum((r) => r.db1.blksRead - r.db0.blksRead);
  return {
    variant: v.name,
    durationMs: Math.round(measuredMs),
    warmupMs: ctx.cfg.warmupMs,
    throughputPerSec: measuredMs > 0 ? totalOk / (measuredMs / 1000) : 0,
    operations,
    timeline,
    client: { gcPauseUs: { ...percentiles(gc), count: gcCount, totalMs: Math.round(gcUs / 1000) }, cpuMs: Math.round(sum((r) => r.measured.cpuMs)) },
    outages,
    reconnects: sum((r) => r.reconnects),
    resources,
    event: eventOp && eventRound ? eventResult(eventOp, eventRound.measured.event!, eventRound.measured.stats[eventOp.index].ok === 1, retentionMethod) : undefined,
    server: {
      hitRatio: hit + read > 0 ? hit / (hit + read) : null,
      tempBytes: sum((r) => r.db1.tempBytes - r.db0.tempBytes),
      deadlocks: sum((r) => r.db1.deadlocks - r.db0.deadlocks),
      walBytes: sum((r) => r.walBytes),
      commits: sum((r) => r.db1.commits - r.db0.commits),
      rollbacks: sum((r) => r.db1.rollbacks - r.db0.rollbacks),
      tableBytes: {},
      indexBytes: {},
    },
  };
}

/**
 * After a variant's last round: EXPLAIN (ANALYZE, BUFFERS) EXECUTE of each operation's plan, of the
 * kind its connections ran, and both kinds timed on the same parameters; then the relations' sizes.
 */
async function explainStep(ctx: RunContext, v: Variant, result: VariantScenarioResult, explainParams: Array<unknown[][] | null> | undefined): Promise<void> {
  const { cfg, target, onEvent } = ctx;
  const control = await connectClient(target, { schema: v.schema, applicationName: 'chatbench scenario control' });
  try {
    if (explainParams && !ctx.signal.aborted) {
      onEvent({ type: 'phase', variant: v.name, phase: 'explain' });
      const partitions = await partitionMap(control, v.schema);
      for (const op of ctx.ops) {
        if (op.def.name === cfg.scenario.event?.operation) continue; // the retention drop itself: its plan is a function call
        const res = result.operations[op.index];
        const sets = explainParams[op.index];
        if (!sets) {
          res.plan = { text: "no EXPLAIN: the operation had no parameters to draw from this user's state", partitionsScanned: 0, partitionsTotal: 0, params: [] };
          continue;
        }
        const ran: PlanKind | undefined = cfg.planCache !== 'auto' ? cfg.planCache : res.planKinds ? (res.planKinds.generic > res.planKinds.custom ? 'generic' : 'custom') : undefined;
        const kind = ran ?? 'custom';
        try {
          const shown = await explainPrepared(control, op.def.sql, sets, kind, partitions);
          const other = await explainPrepared(control, op.def.sql, sets, kind === 'generic' ? 'custom' : 'generic', partitions).catch(() => undefined);
          const t = (e: { planMs: number; execMs: number }) => ({ planMs: e.planMs, execMs: e.execMs });
          res.plan = {
            text: shown.text,
            partitionsScanned: shown.partitionsScanned,
            partitionsTotal: shown.partitionsTotal,
            params: sets[0].map(plain),
            kind,
            kindSource: ran ? 'ran' : 'assumed',
            timings: other ? (kind === 'generic' ? { generic: t(shown), custom: t(other) } : { generic: t(other), custom: t(shown) }) : undefined,
          };
        } catch (e) {
          res.plan = { text: `EXPLAIN failed: ${(e as Error).message}`, partitionsScanned: 0, partitionsTotal: 0, params: sets[0].map(plain) };
        }
      }
    }
    const sizes = await relationSizes(control, v.schema);
    result.server.tableBytes = Object.fromEntries(Object.entries(sizes).map(([t, s]) => [t, s.tableBytes]));
    result.server.indexBytes = Object.assign({}, ...Object.values(sizes).map((s) => s.indexes));
  } finally {
    await control.end().catch(() => {});
  }
}

/** The scenario's own teardown, and the variant's virtual clock moved past what this run wrote. */
async function teardownStep(ctx: RunContext, v: Variant, virtualEndMs: number): Promise<void> {
  const control = await connectClient(ctx.target, { schema: v.schema, applicationName: 'chatbench scenario control' });
  try {
    if (ctx.cfg.scenario.teardown) {
      ctx.onEvent({ type: 'phase', variant: v.name, phase: 'teardown' });
      const world = buildWorld(await ctx.model, ctx.virtualStartMs, () => 0);
      await ctx.cfg.scenario.teardown({ client: control, world, variant: variantInfo(v), log: (m) => ctx.onEvent({ type: 'log', message: `${v.name}: ${m}` }) }).catch((e) => ctx.onEvent({ type: 'log', message: `${v.name}: teardown failed: ${(e as Error).message}` }));
    }
    await advanceClock(control, v.name, virtualEndMs).catch(() => {});
  } finally {
    await control.end().catch(() => {});
  }
}

/** The harness's floor for this round: SELECT 1 through the load path, one user, closed loop. */
async function measureFloor(ctx: RunContext, schema: string): Promise<OperationStats> {
  const durationMs = Math.min(1000, Math.max(300, ctx.roundDurationMs / 10));
  return ctx.load.floor({ schema, warmupMs: 200, durationMs, applicationName: `${LOAD_APPLICATION} floor` });
}

/** Before anything is timed: partitions for the writes to come on each variant, then the answer checks across them. */
async function prepareVariants(target: Target, cfg: ScenarioRunConfig, ops: Op[], checkWorld: ReturnType<typeof buildWorld>, vStart: number, vEnd: number, onEvent: (e: RunEvent) => void): Promise<ScenarioResults['answerChecks']> {
  const perVariant = new Map<string, pg.Client>();
  try {
    for (const v of cfg.variants) {
      const c = await connectClient(target, { schema: v.schema, applicationName: 'chatbench scenario check' });
      perVariant.set(v.name, c);
      if (rangeUnit(v)) await c.query('SELECT create_message_partitions($1, $2)', [new Date(vStart - 86_400_000), new Date(vEnd + 86_400_000)]);
    }
    if (cfg.variants.length < 2) return [];
    onEvent({ type: 'log', message: `answer checks: ${cfg.scenario.name}'s reads on ${cfg.variants.length} variants with the same parameters` });
    return await answerChecks(cfg.scenario, ops, checkWorld, cfg.seed, cfg.variants.map((v) => ({ variant: v.name, client: perVariant.get(v.name)! })));
  } finally {
    await Promise.all([...perVariant.values()].map((c) => c.end().catch(() => {})));
  }
}

/** How a run is recorded and what it may borrow: the command that reproduces it, the name its run id carries (default: the scenario's), and load threads already started for the same scenario and data (a capacity search's steps); without them the run starts its own and stops them at the end. */
export interface RunRecord {
  command: string;
  name?: string;
  loads?: LoadPool;
}

/** Runs the scenario on each variant and returns the whole results file, stamped and checked against its counter identities. */
export async function runScenario(target: Target, cfg: ScenarioRunConfig, signal: AbortSignal, onEvent: (e: RunEvent) => void, record: RunRecord): Promise<ScenarioResults> {
  const startedAt = new Date();
  const admin = await connectClient(target, { applicationName: 'chatbench scenario admin' });
  // What the results record: the session's nice over the whole run. Micro mode times operations on
  // this thread, so it is read at the start and the end only, never inside a sample.
  const priority = watchPriority(cfg.mode === 'micro' ? 0 : PRIORITY_SAMPLE_MS);
  try {
    const env = await runEnvironment(target, admin);
    if (cfg.onlySeeded) {
      const seeded = new Set([...(await seedRecords(admin)).values()].filter((r) => r.status === 'complete').map((r) => r.variant));
      const skipped = cfg.variants.filter((v) => !seeded.has(v.name)).map((v) => v.name);
      cfg = { ...cfg, variants: cfg.variants.filter((v) => seeded.has(v.name)) };
      if (cfg.variants.length === 0) throw new UsageError('no variant is seeded yet: run "npm run seed -- --messages 200K" (or choose --variants) first');
      if (skipped.length) onEvent({ type: 'log', message: `not seeded, skipped: ${skipped.join(', ')}` });
    }
    const { plan, virtualNowMs, seedOf } = await seededState(admin, cfg.variants);
    const pgss = await ensurePgss(admin);
    if (pgss.created) onEvent({ type: 'log', message: `created the pg_stat_statements extension in ${target.display} for server evidence` });
    if (!pgss.available) onEvent({ type: 'log', message: `no pg_stat_statements evidence: ${pgss.why}` });
    const modelParams = modelParamsOf(plan);
    const model = loadModel(modelParams);
    // The load threads start now (each compiles the scenario and rebuilds the model: seconds), while
    // this thread creates partitions and runs the answer checks; a failure before they are used stops them.
    const loads = record.loads;
    const loadOptions = { params: target.params, scenarioFile: cfg.scenarioFile, model: modelParams, workers: cfg.workers };
    const starting = cfg.mode === 'micro' ? undefined : loads ? loads.get(loadOptions) : LoadGenerator.start(loadOptions);
    starting?.catch(() => {}); // awaited below; a failure meanwhile is not an unhandled rejection
    const ops: Op[] = cfg.scenario.operations.map((def, index) => ({ def, index, statement: statementName(cfg.scenario, def.name) }));
    const rounds = cfg.mode === 'micro' ? 1 : cfg.rounds;
    const roundDurationMs = Math.max(1, Math.floor(cfg.durationMs / rounds));
    const laterWarmupMs = Math.min(cfg.warmupMs, Math.max(500, Math.floor(cfg.warmupMs / rounds)));
    const roundSpanMs = cfg.warmupMs + roundDurationMs + ROUND_GAP_MS;
    // Virtual time starts after everything written so far, on every variant alike.
    const vStart = virtualNowMs + 1000;
    const vEnd = vStart + rounds * roundSpanMs + (cfg.warmupMs + cfg.durationMs) * 2 + 60_000;
    let checks: ScenarioResults['answerChecks'];
    try {
      checks = await prepareVariants(target, cfg, ops, buildWorld(await model, vStart, () => 0), vStart, vEnd, onEvent);
    } catch (e) {
      // Threads of this run's own, never used: stopped. A pool's stay with the pool, idle; it may
      // still be starting them, so this waits for that: its owner's stop() must find them.
      if (starting) await starting.then((l) => (loads ? undefined : l.stop()), () => {});
      throw e;
    }

    const variants: VariantScenarioResult[] = [];
    let harness: ScenarioResults['harness'];
    let interrupted = false;
    if (cfg.mode === 'micro') {
      for (const v of cfg.variants) {
        if (signal.aborted) break;
        const result = await microVariant(target, cfg, v, await model, ops, vStart, onEvent, signal);
        result.seed = seedOf.get(v.name);
        variants.push(result);
        onEvent({ type: 'variant-done', variant: v.name, result });
      }
      interrupted = signal.aborted;
    } else {
      const load = await starting!;
      let failed = true;
      const ctx: RunContext = { target, cfg, ops, load, model, signal, onEvent, virtualStartMs: vStart, roundSpanMs, roundDurationMs, warmupOf: (r) => (r === 0 ? cfg.warmupMs : laterWarmupMs), steps: new Map() };
      const byVariant = new Map<string, RoundResult[]>(cfg.variants.map((v) => [v.name, []]));
      const floors: OperationStats[] = [];
      const started = new Set<string>();
      try {
        for (let r = 0; r < rounds && !signal.aborted; r++) {
          floors.push(await measureFloor(ctx, cfg.variants[0].schema));
          // Interleaved: A B, then B A, so neither design always runs first or last.
          const order = r % 2 === 0 ? cfg.variants : [...cfg.variants].reverse();
          for (const v of order) {
            if (signal.aborted) break;
            const first = !started.has(v.name);
            started.add(v.name);
            const rr = await measureRound(ctx, v, r, first, r === rounds - 1);
            byVariant.get(v.name)!.push(rr);
            if (rr.measured.interrupted) break;
          }
        }
        interrupted = signal.aborted;
        for (const v of cfg.variants) {
          const rr = byVariant.get(v.name)!;
          if (!rr.length) continue;
          const result = variantResult(ctx, v, rr);
          result.seed = seedOf.get(v.name);
          await step(ctx, v, 'explain', () => explainStep(ctx, v, result, rr[rr.length - 1].explainParams));
          variants.push(result);
          onEvent({ type: 'variant-done', variant: v.name, result });
        }
        failed = false;
      } finally {
        if (!loads) await load.stop();
        else if (failed) await loads.discard(load);
        for (const v of cfg.variants) if (started.has(v.name)) await step(ctx, v, 'teardown', () => teardownStep(ctx, v, vEnd));
      }
      for (const result of variants) result.steps = [...(ctx.steps.get(result.variant) ?? [])].map(([name, ms]) => ({ name, ms: Math.round(ms) }));
      if (floors.length) {
        const all = new OperationStats();
        for (const f of floors) all.add(f.encode());
        harness = { sql: FLOOR_SQL, floorUs: percentiles(all.latency), roundsP50Us: floors.map((f) => percentiles(f.latency).p50) };
      }
    }
    const nice = priority.end();
    onEvent({ type: 'priority', priority: nice });
    env.clientPriority = describePriority([nice]);
    const results: ScenarioResults = {
      ...envelope({ name: record.name ?? cfg.scenario.name, startedAt, command: record.command, environment: env }, interrupted),
      kind: 'scenario',
      scenario: describeScenario(cfg.scenario),
      config: {
        variants: cfg.variants.map((v) => v.name),
        executor: cfg.shape.kind,
        concurrency: cfg.shape.kind === 'closed' ? cfg.shape.concurrency : undefined,
        ratePerSec: cfg.shape.kind === 'open' ? cfg.shape.ratePerSec : undefined,
        arrivals: cfg.shape.kind === 'open' ? cfg.shape.arrivals : undefined,
        connections: cfg.connections,
        durationMs: cfg.durationMs,
        warmupMs: cfg.warmupMs,
        seed: cfg.seed,
        explain: cfg.explain,
        mode: cfg.mode,
        opTimeoutMs: cfg.opTimeoutMs,
        retentionMethod: cfg.scenario.runOptions?.includes('retentionMethod') ? (cfg.options ?? DEFAULT_RUN_OPTIONS).retentionMethod : undefined,
        workers: cfg.mode === 'micro' ? undefined : cfg.workers,
        rounds,
        planCache: cfg.planCache,
      },
      harness,
      seed: plan,
      answerChecks: checks,
      variants,
    };
    if (cfg.slo) {
      results.config.slo = cfg.slo;
      for (const v of results.variants) v.slo = evaluateVariantSlo(cfg.slo, v);
    }
    checkIdentities(results);
    return results;
  } finally {
    priority.end();
    await admin.end().catch(() => {});
  }
}

function eventResult(op: Op, e: EventOutcome, ok: boolean, retentionMethod: EventResult['retentionMethod']): EventResult {
  const part = (h: EventOutcome['during']) => ({ count: h.totalCount, latencyUs: percentiles(h), histogram: encodeHistogram(h) });
  return {
    operation: op.def.name,
    startMs: Math.round(e.startMs),
    durationMs: Math.round(e.durationMs),
    ok,
    walBytes: e.walBytes,
    during: part(e.during),
    outside: part(e.outside),
    retentionMethod,
  };
}

async function microVariant(target: Target, cfg: ScenarioRunConfig, v: Variant, model: Model, ops: Op[], vStart: number, onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<VariantScenarioResult> {
  const conn = await connectLean(target.params, { schema: v.schema, applicationName: 'chatbench micro', statementTimeoutMs: cfg.opTimeoutMs, planCache: cfg.planCache });
  const t0 = performance.now();
  try {
    onEvent({ type: 'phase', variant: v.name, phase: 'measure' });
    const world = buildWorld(model, vStart, () => performance.now() - t0);
    const runnable = ops.filter((o) => o.def.name !== cfg.scenario.event?.operation);
    const stats = await microBench(conn, cfg.scenario, runnable, world, cfg.seed, cfg.durationMs, cfg.warmupMs, signal);
    const operations = runnable.map((op, k) => ({ ...operationResult(op, stats[k].stats, false), note: stats[k].note }));
    const elapsed = (performance.now() - t0) / 1000;
    if (!operations.length) throw new RuntimeError(`${cfg.scenario.name} has no operation micro mode can run`);
    return {
      variant: v.name,
      durationMs: Math.round(elapsed * 1000),
      warmupMs: cfg.warmupMs,
      throughputPerSec: operations.reduce((a, o) => a + o.ok, 0) / elapsed,
      operations,
      timeline: [],
      server: { hitRatio: null, tempBytes: 0, deadlocks: 0, walBytes: 0, commits: 0, rollbacks: 0, tableBytes: {}, indexBytes: {} },
    };
  } finally {
    await conn.close();
  }
}

/** A scenario as results record it: what it asks and the operations it runs. */
export function describeScenario(scenario: AnyScenario): ScenarioResults['scenario'] {
  return {
    name: scenario.name,
    description: scenario.description,
    question: scenario.question,
    operations: scenario.operations.map((o) => ({ name: o.name, weight: o.weight ?? 0, sql: o.sql, kind: o.kind })),
  };
}
