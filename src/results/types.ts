// The versioned results schema: what every seed, scenario and bench run writes to results.json,
// restating its whole configuration, so a report can be rendered from the file alone.
import type { PowerLawFit } from '../metrics/fit.ts';

export const RESULTS_SCHEMA_VERSION = 1;

export interface Versions {
  chatbench: string;
  gitCommit: string | null;
  node: string;
  postgres: string;
}

export interface Machine {
  cores: number;
  memBytes: number;
  platform: string;
  cpuModel: string;
}

export interface RunEnvironment {
  versions: Versions;
  machine: Machine;
  /** The settings that matter, as the server reported them. */
  serverSettings: Record<string, string>;
  /** postgres://user@host:port/db, never with a password. */
  target: string;
  targetKind: 'embedded' | 'url';
  /** chatbench's own scheduling priority over the run (metrics/priority.ts, watchPriority: each value when it changed); absent in older results. */
  clientPriority?: string;
}

export interface RunBase {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** The command line that reproduces the run. */
  command: string;
  /** True when the run was interrupted: what is here is what was measured before it stopped. */
  partial: boolean;
  environment: RunEnvironment;
}

// ---- seed ------------------------------------------------------------------------------------

export interface StepResult {
  name: string;
  /** Wall time from the step's first task's start to its last task's end (steps may overlap). */
  ms: number;
  detail?: string;
  /** ms since the seed started (absent for steps of an earlier, resumed run). */
  startMs?: number;
  endMs?: number;
  /** Sum of its tasks' times, on all connections. */
  workMs?: number;
  tasks?: number;
  /** WAL written by the step's own connections. */
  walBytes?: number;
}

export interface TableFacts {
  rows: number;
  /** Sum of hashtextextended(row::text, 0) over the rows checked (see checksumScope). */
  checksum: string;
  /** What the checksum covers: every row (full), a sample of key ranges (sample), nothing (none). */
  checksumScope?: 'full' | 'sample' | 'none';
  tableBytes: number;
  indexes: Record<string, number>;
}

export interface SeedFacts {
  tables: Record<string, TableFacts>;
  totalBytes: number;
  loadRowsPerSec: number;
  loadBytesPerSec: number;
  /** Wall time of the seed run that completed it. */
  totalMs?: number;
}

export interface VariantSeedResult {
  variant: string;
  schema: string;
  resumed: boolean;
  rows: Record<string, number>;
  steps: StepResult[];
  facts: SeedFacts;
  /** Wall time of the run (steps overlap, so it is not their sum). */
  totalMs?: number;
}

/** What ran when, on which connection, and the rates over time: the seed's timeline. */
export interface SeedTimeline {
  /** Lanes top to bottom: "load 1".."load J" (passes), "connection 1".. (post-load tasks). */
  lanes: string[];
  bars: Array<{ lane: string; step: string; label: string; startMs: number; endMs: number; variant?: string }>;
  /** Sampled every second: cumulative rows and COPY bytes sent, WAL position, client memory. */
  samples: Array<{ t: number; rows: number; bytes: number; walBytes: number | null; rssBytes: number }>;
}

export interface SeedPlanSummary {
  seed: number;
  messages: number;
  users: number;
  servers: number;
  startMs: number;
  endMs: number;
  days: number;
  rows: Record<string, number>;
  generatorVersion: number;
  distribution: Record<string, number>;
}

export interface SeedResults extends RunBase {
  kind: 'seed';
  config: { jobs: number; format: string; variants: string[]; resume: boolean; force: boolean; verify?: string; variantsChosen?: string; /** The variants seeded together, group after group, when they did not all fit in memory at once. */ groups?: string[][] };
  plan: SeedPlanSummary;
  variants: VariantSeedResult[];
  timeline?: SeedTimeline;
  totalMs?: number;
  /** What the dry-run model predicted for this seed, and the calibration it went by. */
  estimate?: { serverMessagesPerSec?: number; generatorMessagesPerSec: number; speed: number; loadSeconds: number; postLoadSeconds: number; totalSeconds: number; steps: Array<{ step: string; seconds: number }> };
}

// ---- scenario --------------------------------------------------------------------------------

export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface OperationResult {
  name: string;
  /** attempted = ok + failed + dropped (checked when results are read). */
  attempted: number;
  ok: number;
  failed: number;
  dropped: number;
  errors: Record<string, { count: number; name: string; example: string }>;
  /** From the intended start (open loop) or the send (closed loop), in microseconds. */
  latencyUs: Percentiles;
  /** Time on the wire and in the server only, in microseconds. */
  serviceUs: Percentiles;
  /** Open loop: how late operations started, whatever the reason (pgbench's schedule lag), in microseconds. */
  lagUs?: Percentiles;
  /**
   * Open loop: how late operations started that had a free connection and user when due: the
   * harness's own lateness (timer precision, stalls), apart from queueing behind busy connections.
   */
  harnessLagUs?: Percentiles;
  /** Encoded HDR histograms (base64), so runs can be merged and re-rendered. */
  histograms: { latency: string; service: string };
  /** Percentile spectrum for charts: [percentile, microseconds]. */
  spectrum: Array<[number, number]>;
  /** Server-side evidence from pg_stat_statements for this operation's statements. */
  server?: { calls: number; meanExecMs: number; maxExecMs: number; sharedHit: number; sharedRead: number; rows: number };
  /**
   * EXPLAIN (ANALYZE, BUFFERS) EXECUTE of the plan that ran (`kind`: the cached generic plan, or
   * custom plans for each parameter set), with parameters from a user of the run; and the server's
   * planning and execution time of both kinds on a few parameter sets, so a verdict that depends on
   * which plan the cache drew is visible.
   */
  plan?: {
    text: string;
    partitionsScanned: number;
    partitionsTotal: number;
    params: unknown[];
    kind?: 'generic' | 'custom';
    /** Why this kind was explained: the kind most connections ran, or a default when none was recorded. */
    kindSource?: 'ran' | 'assumed';
    timings?: { generic: { planMs: number; execMs: number }; custom: { planMs: number; execMs: number } };
  };
  /**
   * Plans the server ran for this operation during the measured windows (pg_prepared_statements,
   * PostgreSQL 14 and later): totals and one entry per connection and round. `mixed` when
   * connections settled on different kinds.
   */
  planKinds?: { generic: number; custom: number; mixed: boolean; perConnection: Array<{ generic: number; custom: number }> };
  /** Each round's percentiles (rounds interleave the designs), for the spread across rounds. */
  rounds?: Array<{ ok: number; p50Us: number; p99Us: number }>;
  /** Why an operation could not run on this variant (e.g. no full-text index: seq scan), if it is notable. */
  note?: string;
}

export interface TimelinePoint {
  /** Seconds since the start of the measured phase (negative during warm-up). */
  t: number;
  ops: number;
  errors: number;
  p99Us: number;
}

export interface VariantScenarioResult {
  variant: string;
  durationMs: number;
  warmupMs: number;
  throughputPerSec: number;
  operations: OperationResult[];
  timeline: TimelinePoint[];
  /**
   * Stalls of chatbench's own event loop during the measured phase (garbage collection, result
   * parsing): latency the client added. If its p99 nears an operation's, the tail is partly ours.
   */
  client?: {
    /** Results written before this version: timer-based event-loop delay. */
    eventLoopDelayUs?: { p50: number; p99: number; max: number };
    /** Garbage-collection pauses of the load threads during the measured phase. */
    gcPauseUs?: Percentiles & { count: number; totalMs: number };
    /** CPU time of the whole chatbench process during the measured phase (every thread), in ms. */
    cpuMs?: number;
  };
  /**
   * Times the server could not be reached during the measured phase (a restart, a crash): from the
   * first lost connection to the next success, in ms since the phase started, with the failures in it.
   */
  outages?: Array<{ fromMs: number; toMs: number; failures: Record<string, number>; open: boolean }>;
  /** Connections re-opened by the pool after the server dropped them. */
  reconnects?: number;
  /**
   * Resources sampled during the measured phase: chatbench's own memory, and the server connections
   * the run holds (null when the server could not be asked). For soaks: both must stay flat.
   */
  resources?: Array<{ t: number; rssBytes: number; heapUsedBytes: number; serverConnections: number | null }>;
  /** The run's named steps on this variant (setup, warmup, measure, evidence, explain, teardown), each summed over the rounds. */
  steps?: StepResult[];
  /** How the variant was seeded (steps, ingest rate, bytes), from chatbench's bookkeeping. */
  seed?: { steps: StepResult[]; loadRowsPerSec: number; totalBytes: number };
  /** The run's latency objective (--slo) checked on this variant. */
  slo?: SloCheck[];
  /** The scenario's one-off event (retention's purge), when it ran. */
  event?: EventResult;
  server: {
    hitRatio: number | null;
    tempBytes: number;
    deadlocks: number;
    walBytes: number;
    commits: number;
    rollbacks: number;
    tableBytes: Record<string, number>;
    indexBytes: Record<string, number>;
  };
}

export interface EventResult {
  operation: string;
  /** Start and length in ms, from the start of the measured phase. */
  startMs: number;
  durationMs: number;
  ok: boolean;
  /** WAL the server wrote from the event's start to its end (every session's), null if unknown. */
  walBytes: number | null;
  /** Latency of the other operations in flight at any moment of the event, and of the rest. */
  during: { count: number; latencyUs: Percentiles; histogram: string };
  outside: { count: number; latencyUs: Percentiles; histogram: string };
  /** Retention: the method asked for, and the one the variant has (without range partitions, delete). */
  retentionMethod?: { requested: 'delete' | 'detach' | 'detach-concurrently'; used: 'delete' | 'detach' | 'detach-concurrently' };
}

export interface AnswerCheck {
  operation: string;
  params: unknown[];
  ok: boolean;
  /** Variants whose answer differed from the first variant's, with a short digest of each. */
  mismatches: Array<{ variant: string; digest: string; rows: number }>;
  reference: { variant: string; digest: string; rows: number };
}

export interface ScenarioResults extends RunBase {
  kind: 'scenario';
  scenario: { name: string; description: string; question: string; operations: Array<{ name: string; weight: number; sql: string; kind: 'read' | 'write' }> };
  config: {
    variants: string[];
    executor: 'closed' | 'open';
    concurrency?: number;
    ratePerSec?: number;
    arrivals?: 'poisson' | 'uniform';
    connections: number;
    durationMs: number;
    warmupMs: number;
    seed: number;
    explain: boolean;
    mode: 'load' | 'micro';
    /** statement_timeout of the operations (--op-timeout), if one was set. */
    opTimeoutMs?: number;
    /** The latency objective the run was checked against (--slo), if one was given. */
    slo?: SloTerm[];
    /** How retention removed history (--retention-method), for scenarios that purge. */
    retentionMethod?: 'delete' | 'detach' | 'detach-concurrently';
    /** Load worker threads (each with its own connections and clock). */
    workers?: number;
    /** Rounds: the designs interleaved (A B, B A, ...), the measured time split between them. */
    rounds?: number;
    /** plan_cache_mode of the operations' connections: auto (the server's default), custom or generic. */
    planCache?: 'auto' | 'custom' | 'generic';
  };
  /**
   * The harness measured through its own path: a trivial statement (SELECT 1), one user, closed
   * loop, once per round. Differences between designs smaller than its spread are the harness's.
   */
  harness?: { sql: string; floorUs: Percentiles; roundsP50Us: number[] };
  seed: SeedPlanSummary | null;
  answerChecks: AnswerCheck[];
  variants: VariantScenarioResult[];
}

// ---- latency objectives (--slo) --------------------------------------------------------------

/** One term of a latency objective: `p99<50ms`, `p99.9(send)<200ms`, `p99(*)<10ms`. */
export interface SloTerm {
  /** As the user wrote it, without spaces. */
  text: string;
  /** 0 < percentile < 100. */
  percentile: number;
  /** null: all operations together; '*': every operation on its own; else one operation. */
  operation: string | null;
  limitUs: number;
  /** `<=` rather than `<`. */
  inclusive: boolean;
}

/** A term checked against measured latency (a `*` term gives one check per operation). */
export interface SloCheck {
  objective: string;
  percentile: number;
  /** null: all operations together. */
  operation: string | null;
  limitUs: number;
  inclusive: boolean;
  /** The percentile from the latency histogram, and its 95% band from the sample count. */
  valueUs: number;
  lowUs: number;
  highUs: number;
  samples: number;
  met: boolean;
  /** False when the band straddles the limit: more samples could change the answer. */
  certain: boolean;
}

// ---- capacity --------------------------------------------------------------------------------

/** What one capacity step measured, boiled down to what decides it and what explains it. */
export interface CapacityStepFacts {
  offeredPerSec: number;
  /** Operations completed (ok) per second of the measured phase. */
  achievedPerSec: number;
  attempted: number;
  ok: number;
  failed: number;
  dropped: number;
  /** failed / (ok + failed). */
  errorRate: number;
  /** dropped / attempted. */
  dropRate: number;
  errors: Record<string, { count: number; name: string }>;
  /** All operations merged, from the intended start. */
  latencyUs: Percentiles;
  /** All operations merged, from the send to the answer. */
  serviceUs: Percentiles;
  /** The server's own time per call (pg_stat_statements), across the scenario's statements; null without it. */
  serverExecMeanUs: number | null;
  /** GC pauses of chatbench's load threads, p99 (the client's own stalls). */
  gcPauseP99Us: number | null;
  /** GC pause time of all load threads per second of the step, in ms. */
  gcPauseMsPerSec: number | null;
  /** How late operations started that had a free connection when due, p99: the harness's own lateness. */
  harnessLagP99Us: number | null;
  /** Start lag p99 (open loop): waiting for a busy connection plus the harness's own lateness. */
  lagP99Us: number | null;
  /** CPU seconds chatbench used (every thread) per wall-clock second of the step (1 = one core busy). */
  clientCpuCores: number | null;
  /** Load threads the step ran on: each can keep one core busy. */
  workers: number;
  /** The harness's floor before the step (SELECT 1 through the same path, one user, closed loop). */
  harnessFloorUs: { p50: number; p99: number } | null;
}

export interface CapacityStep {
  ratePerSec: number;
  phase: 'ramp' | 'descend' | 'bisect';
  /** 0 for the first measurement of a rate; 1 for the longer re-measurement of an uncertain one. */
  attempt: number;
  /** decided: it moved the search; superseded: a longer measurement of the same rate decided; interrupted: cut short, not judged. */
  status: 'decided' | 'superseded' | 'interrupted';
  durationMs: number;
  warmupMs: number;
  pass: boolean;
  /** False when a percentile's band straddled its limit. */
  certain: boolean;
  /** Why the step failed (or what was close), for people. */
  reasons: string[];
  checks: SloCheck[];
  facts: CapacityStepFacts;
  result: VariantScenarioResult;
}

export interface CapacityDesignResult {
  variant: string;
  /** The highest offered rate that met the objective and the budgets; null if none did. */
  capacityPerSec: number | null;
  /** The lowest offered rate that did not; null if none failed. */
  firstBadPerSec: number | null;
  end: 'resolved' | 'max-rate' | 'min-rate' | 'max-steps' | 'interrupted';
  /** Who set the limit at the first bad step: the design (server), chatbench itself (harness), or unknown. */
  limitedBy: 'server' | 'harness' | 'unknown' | null;
  /** One sentence on why the first bad step failed, naming the percentile, errors or drops and the evidence. */
  why: string;
  steps: CapacityStep[];
  seed?: VariantScenarioResult['seed'];
}

export interface CapacityResults extends RunBase {
  kind: 'capacity';
  scenario: ScenarioResults['scenario'];
  config: {
    variants: string[];
    slo: SloTerm[];
    maxErrorRate: number;
    maxDropRate: number;
    stepMs: number;
    warmupMs: number;
    startRatePerSec: number;
    maxRatePerSec: number;
    minRatePerSec: number;
    resolution: number;
    maxSteps: number;
    remeasures: number;
    connections: number;
    arrivals: 'poisson' | 'uniform';
    maxLagMs?: number;
    opTimeoutMs?: number;
    seed: number;
    /** Load worker threads of every step. */
    workers?: number;
    /** plan_cache_mode of the operations' connections. */
    planCache?: 'auto' | 'custom' | 'generic';
  };
  seed: SeedPlanSummary | null;
  variants: CapacityDesignResult[];
}

// ---- growth ----------------------------------------------------------------------------------

export interface GrowthPoint {
  variant: string;
  messages: number;
  /** The database the size lives in. */
  database: string;
  seed: {
    /** The data was there already (same parameters), so this run did not seed it. */
    reused: boolean;
    /** This run dropped the data once measured (--free-after). */
    freed: boolean;
    steps: StepResult[];
    totalMs: number;
  };
  throughputPerSec: number;
  operations: Array<{ name: string; ok: number; failed: number; p50Us: number; p99Us: number; serverMeanExecUs: number | null }>;
  bytes: { messagesTable: number; messagesIndexes: number; tables: number; indexes: number };
  fitsSharedBuffers: boolean | null;
  fitsMemory: boolean;
  result: VariantScenarioResult;
}

/** log y = logCoefficient + exponent · log x, fitted by least squares on the measured points (metrics/fit.ts). */
export interface GrowthFit extends PowerLawFit {
  variant: string;
  /** 'throughput', 'p50:<operation>', 'p99:<operation>', 'tableBytes', 'indexBytes'. */
  metric: string;
  minMessages: number;
  maxMessages: number;
}

/** A value the fit extends to a size that was not measured. Never a measurement. */
export interface GrowthProjection {
  source: 'projected';
  variant: string;
  metric: string;
  messages: number;
  value: number;
  /** 95% prediction interval, when there were three sizes or more. */
  low: number | null;
  high: number | null;
}

/** The size at which a design's indexes outgrow shared_buffers or memory. */
export interface MemoryCrossing {
  variant: string;
  limit: 'shared_buffers' | 'memory';
  limitBytes: number;
  /** measured: a measured size already exceeded it (messages is the first such size); projected: from the fit; null: not within reach of the fit. */
  source: 'measured' | 'projected';
  messages: number | null;
}

export interface GrowthResults extends RunBase {
  kind: 'growth';
  scenario: ScenarioResults['scenario'];
  config: {
    variants: string[];
    sizes: number[];
    projectTo: number | null;
    freeAfter: number[];
    /** The data's seed, the same at every size (users and servers follow the seeder's laws). */
    dataSeed: number;
    executor: 'closed' | 'open';
    concurrency?: number;
    ratePerSec?: number;
    arrivals?: 'poisson' | 'uniform';
    connections: number;
    durationMs: number;
    warmupMs: number;
    seed: number;
    explain: boolean;
    opTimeoutMs?: number;
    /** Load worker threads, rounds per measurement and plan_cache_mode of every measurement. */
    workers?: number;
    rounds?: number;
    planCache?: 'auto' | 'custom' | 'generic';
  };
  memory: { sharedBuffersBytes: number | null; machineMemBytes: number };
  points: GrowthPoint[];
  fits: GrowthFit[];
  projections: GrowthProjection[];
  crossings: MemoryCrossing[];
}

// ---- bench -----------------------------------------------------------------------------------

export interface BenchComparison {
  name: string;
  unit: string;
  peer: string;
  peerValue: number;
  chatbenchValue: number;
  /** chatbench / peer for rates (higher is better), peer / chatbench for times. */
  ratio: number;
  target?: number;
  met?: boolean;
  detail?: string;
}

export interface BenchResults extends RunBase {
  kind: 'bench';
  bench: string;
  config: Record<string, unknown>;
  comparisons: BenchComparison[];
  extra?: Record<string, unknown>;
}

export type Results = SeedResults | ScenarioResults | BenchResults | CapacityResults | GrowthResults;
