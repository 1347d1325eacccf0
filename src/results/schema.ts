// The results.json schema as data (zod): readers validate every file with it, and
// docs/results.schema.json, the JSON Schema CI pipelines consume, is generated from it.
import { z } from 'zod';
import { RESULTS_SCHEMA_VERSION } from './types.ts';

// Objects accept fields they do not list: a file from a newer minor chatbench still reads, and the
// JSON Schema says additionalProperties rather than forbidding them.
const obj = z.looseObject;
const count = z.number().int().nonnegative();
const num = z.number();
const numbers = z.record(z.string(), num);

const percentiles = obj({ p50: num, p90: num, p95: num, p99: num, p999: num, max: num, mean: num }).meta({ id: 'Percentiles' });

const environment = obj({
  versions: obj({ chatbench: z.string(), gitCommit: z.string().nullable(), node: z.string(), postgres: z.string() }),
  machine: obj({ cores: num, memBytes: num, platform: z.string(), cpuModel: z.string() }),
  serverSettings: z.record(z.string(), z.string()),
  target: z.string().describe('postgres://user@host:port/db, never with a password'),
  targetKind: z.enum(['embedded', 'url']),
  clientPriority: z.string().optional().describe("chatbench's own CPU scheduling priority during the run: its session's autogroup nice, read at the start, every second (micro mode: not between) and at the end; each value it took when it changed, and each run's when the measured runs (capacity steps, growth points, bench parts) differed"),
}).meta({ id: 'RunEnvironment' });

const envelope = {
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  command: z.string().describe('the command line that reproduces the run'),
  partial: z.boolean().describe('true when the run was interrupted: what is here was measured before it stopped'),
  environment,
};

const step = obj({ name: z.string(), ms: num, detail: z.string().optional() }).meta({ id: 'StepResult' });

const seedPlan = obj({
  seed: num,
  messages: count,
  users: count,
  servers: count,
  startMs: num,
  endMs: num,
  days: num,
  rows: numbers,
  generatorVersion: num,
  distribution: numbers,
}).meta({ id: 'SeedPlanSummary' });

const seedResults = obj({
  ...envelope,
  kind: z.literal('seed'),
  config: obj({ jobs: num, format: z.string(), variants: z.array(z.string()), resume: z.boolean(), force: z.boolean(), groups: z.array(z.array(z.string())).optional() }),
  plan: seedPlan,
  variants: z.array(
    obj({
      variant: z.string(),
      schema: z.string(),
      resumed: z.boolean(),
      rows: numbers,
      steps: z.array(step),
      facts: obj({
        tables: z.record(z.string(), obj({ rows: num, checksum: z.string(), tableBytes: num, indexes: numbers })),
        totalBytes: num,
        loadRowsPerSec: num,
        loadBytesPerSec: num,
      }),
    }),
  ),
}).meta({ id: 'SeedResults' });

const timings = obj({ planMs: num, execMs: num });
const operation = obj({
  name: z.string(),
  attempted: count.describe('attempted = ok + failed + dropped'),
  ok: count,
  failed: count.describe('the sum of errors[*].count'),
  dropped: count,
  errors: z.record(z.string().describe('SQLSTATE'), obj({ count, name: z.string(), example: z.string() })),
  latencyUs: percentiles.describe('from the intended start (open loop) or the send (closed loop)'),
  serviceUs: percentiles.describe('time on the wire and in the server only'),
  lagUs: percentiles.optional(),
  harnessLagUs: percentiles.optional(),
  histograms: obj({ latency: z.string(), service: z.string() }).describe('encoded HDR histograms (base64)'),
  spectrum: z.array(z.tuple([num, num])),
  server: obj({ calls: num, meanExecMs: num, maxExecMs: num, sharedHit: num, sharedRead: num, rows: num }).optional(),
  plan: obj({
    text: z.string(),
    partitionsScanned: num,
    partitionsTotal: num,
    params: z.array(z.unknown()),
    kind: z.enum(['generic', 'custom']).optional(),
    kindSource: z.enum(['ran', 'assumed']).optional(),
    timings: obj({ generic: timings, custom: timings }).optional(),
  }).optional(),
  planKinds: obj({ generic: num, custom: num, mixed: z.boolean(), perConnection: z.array(obj({ generic: num, custom: num })) }).optional(),
  rounds: z.array(obj({ ok: num, p50Us: num, p99Us: num })).optional(),
  note: z.string().optional(),
}).meta({ id: 'OperationResult' });

// Latency objectives (--slo) and their checks on measured latency.
const sloTerm = obj({ text: z.string(), percentile: num, operation: z.string().nullable(), limitUs: num, inclusive: z.boolean() });
const sloCheck = obj({
  objective: z.string(),
  percentile: num,
  operation: z.string().nullable(),
  limitUs: num,
  inclusive: z.boolean(),
  valueUs: num,
  lowUs: num,
  highUs: num,
  samples: num,
  met: z.boolean(),
  certain: z.boolean(),
});
const retentionMethod = z.enum(['delete', 'detach', 'detach-concurrently']);
const eventPart = obj({ count, latencyUs: percentiles, histogram: z.string() });
const eventResult = obj({
  operation: z.string(),
  startMs: num.describe('from the start of the measured phase'),
  durationMs: num,
  ok: z.boolean(),
  walBytes: num.nullable(),
  during: eventPart.describe('the other operations in flight at any moment of the event'),
  outside: eventPart,
  retentionMethod: obj({ requested: retentionMethod, used: retentionMethod }).optional(),
}).meta({ id: 'EventResult' });

const variantScenario = obj({
  variant: z.string(),
  durationMs: num,
  warmupMs: num,
  throughputPerSec: num,
  operations: z.array(operation),
  timeline: z.array(obj({ t: num, ops: num, errors: num, p99Us: num })),
  client: obj({
    eventLoopDelayUs: obj({ p50: num, p99: num, max: num }).optional(),
    gcPauseUs: percentiles.extend({ count: num, totalMs: num }).optional(),
    cpuMs: num.optional(),
  }).optional(),
  outages: z.array(obj({ fromMs: num, toMs: num, failures: numbers, open: z.boolean() })).optional(),
  reconnects: num.optional(),
  resources: z.array(obj({ t: num, rssBytes: num, heapUsedBytes: num, serverConnections: num.nullable() })).optional(),
  steps: z.array(step).optional().describe('the named steps of the run on this variant, each summed over the rounds'),
  seed: obj({ steps: z.array(step), loadRowsPerSec: num, totalBytes: num }).optional(),
  event: eventResult.optional().describe("the scenario's one-off event (retention's purge), when it ran"),
  slo: z.array(sloCheck).optional().describe('the run\'s latency objective (--slo) checked on this variant'),
  server: obj({
    hitRatio: num.nullable(),
    tempBytes: num,
    deadlocks: num,
    walBytes: num,
    commits: num,
    rollbacks: num,
    tableBytes: numbers,
    indexBytes: numbers,
  }),
}).meta({ id: 'VariantScenarioResult' });

const answerDigest = obj({ variant: z.string(), digest: z.string(), rows: num });
const planCache = z.enum(['auto', 'custom', 'generic']);

const scenarioInfo = obj({
  name: z.string(),
  description: z.string(),
  question: z.string(),
  operations: z.array(obj({ name: z.string(), weight: num, sql: z.string(), kind: z.enum(['read', 'write']) })),
});

const scenarioResults = obj({
  ...envelope,
  kind: z.literal('scenario'),
  scenario: scenarioInfo,
  config: obj({
    variants: z.array(z.string()),
    executor: z.enum(['closed', 'open']),
    concurrency: num.optional(),
    ratePerSec: num.optional(),
    arrivals: z.enum(['poisson', 'uniform']).optional(),
    connections: num,
    durationMs: num,
    warmupMs: num,
    seed: num,
    explain: z.boolean(),
    mode: z.enum(['load', 'micro']),
    opTimeoutMs: num.optional(),
    retentionMethod: retentionMethod.optional(),
    slo: z.array(sloTerm).optional(),
    workers: num.optional(),
    rounds: num.optional(),
    planCache: planCache.optional(),
  }),
  harness: obj({ sql: z.string(), floorUs: percentiles, roundsP50Us: z.array(num) }).optional(),
  seed: seedPlan.nullable(),
  answerChecks: z.array(obj({ operation: z.string(), params: z.array(z.unknown()), ok: z.boolean(), mismatches: z.array(answerDigest), reference: answerDigest })),
  variants: z.array(variantScenario),
}).meta({ id: 'ScenarioResults' });

const benchResults = obj({
  ...envelope,
  kind: z.literal('bench'),
  bench: z.string(),
  config: z.record(z.string(), z.unknown()),
  comparisons: z.array(
    obj({
      name: z.string(),
      unit: z.string(),
      peer: z.string(),
      peerValue: num,
      chatbenchValue: num,
      ratio: num.describe('chatbench / peer for rates (higher is better), peer / chatbench for times'),
      target: num.optional(),
      met: z.boolean().optional(),
      detail: z.string().optional(),
    }),
  ),
  extra: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'BenchResults' });

const capacityStepFacts = obj({
  offeredPerSec: num,
  achievedPerSec: num,
  attempted: count,
  ok: count,
  failed: count,
  dropped: count,
  errorRate: num,
  dropRate: num,
  errors: z.record(z.string(), obj({ count, name: z.string() })),
  latencyUs: percentiles,
  serviceUs: percentiles,
  serverExecMeanUs: num.nullable(),
  gcPauseP99Us: num.nullable(),
  gcPauseMsPerSec: num.nullable(),
  harnessLagP99Us: num.nullable(),
  lagP99Us: num.nullable(),
  clientCpuCores: num.nullable(),
  workers: num,
  harnessFloorUs: obj({ p50: num, p99: num }).nullable(),
});
const capacityStep = obj({
  ratePerSec: num,
  phase: z.enum(['ramp', 'descend', 'bisect']),
  attempt: num,
  status: z.enum(['decided', 'superseded', 'interrupted']),
  durationMs: num,
  warmupMs: num,
  pass: z.boolean(),
  certain: z.boolean(),
  reasons: z.array(z.string()),
  checks: z.array(sloCheck),
  facts: capacityStepFacts,
  result: variantScenario,
});
const variantSeed = obj({ steps: z.array(step), loadRowsPerSec: num, totalBytes: num });
const capacityResults = obj({
  ...envelope,
  kind: z.literal('capacity'),
  scenario: scenarioInfo,
  config: obj({
    variants: z.array(z.string()),
    slo: z.array(sloTerm).min(1),
    maxErrorRate: num,
    maxDropRate: num,
    stepMs: num,
    warmupMs: num,
    startRatePerSec: num,
    maxRatePerSec: num,
    minRatePerSec: num,
    resolution: num,
    maxSteps: num,
    remeasures: num,
    connections: num,
    arrivals: z.enum(['poisson', 'uniform']),
    maxLagMs: num.optional(),
    opTimeoutMs: num.optional(),
    seed: num,
    workers: num.optional(),
    planCache: planCache.optional(),
  }),
  seed: seedPlan.nullable(),
  variants: z.array(
    obj({
      variant: z.string(),
      capacityPerSec: num.nullable(),
      firstBadPerSec: num.nullable(),
      end: z.enum(['resolved', 'max-rate', 'min-rate', 'max-steps', 'interrupted']),
      limitedBy: z.enum(['server', 'harness', 'unknown']).nullable(),
      why: z.string(),
      steps: z.array(capacityStep),
      seed: variantSeed.optional(),
    }),
  ),
}).meta({ id: 'CapacityResults' });

const growthResults = obj({
  ...envelope,
  kind: z.literal('growth'),
  scenario: scenarioInfo,
  config: obj({
    variants: z.array(z.string()),
    sizes: z.array(num),
    projectTo: num.nullable(),
    freeAfter: z.array(num),
    dataSeed: num,
    executor: z.enum(['closed', 'open']),
    concurrency: num.optional(),
    ratePerSec: num.optional(),
    arrivals: z.enum(['poisson', 'uniform']).optional(),
    connections: num,
    durationMs: num,
    warmupMs: num,
    seed: num,
    explain: z.boolean(),
    opTimeoutMs: num.optional(),
    workers: num.optional(),
    rounds: num.optional(),
    planCache: planCache.optional(),
  }),
  memory: obj({ sharedBuffersBytes: num.nullable(), machineMemBytes: num }),
  points: z.array(
    obj({
      variant: z.string(),
      messages: num,
      database: z.string(),
      seed: obj({ reused: z.boolean(), freed: z.boolean(), steps: z.array(step), totalMs: num }),
      throughputPerSec: num,
      operations: z.array(obj({ name: z.string(), ok: num, failed: num, p50Us: num, p99Us: num, serverMeanExecUs: num.nullable() })),
      bytes: obj({ messagesTable: num, messagesIndexes: num, tables: num, indexes: num }),
      fitsSharedBuffers: z.boolean().nullable(),
      fitsMemory: z.boolean(),
      result: variantScenario,
    }),
  ),
  fits: z.array(
    obj({
      variant: z.string(),
      metric: z.string(),
      n: num,
      exponent: num,
      exponentLow: num.nullable(),
      exponentHigh: num.nullable(),
      logCoefficient: num,
      r2: num.nullable(),
      residualSd: num.nullable(),
      meanLogX: num,
      sxxLog: num,
      minMessages: num,
      maxMessages: num,
    }),
  ),
  projections: z.array(obj({ source: z.literal('projected').describe('a projection is never a measurement'), variant: z.string(), metric: z.string(), messages: num, value: num, low: num.nullable(), high: num.nullable() })),
  crossings: z.array(obj({ variant: z.string(), limit: z.enum(['shared_buffers', 'memory']), limitBytes: num, source: z.enum(['measured', 'projected']), messages: num.nullable() })),
}).meta({ id: 'GrowthResults' });

/** Every results.json: a seed, scenario, bench, capacity or growth run, told apart by `kind`. */
export const resultsSchema = z
  .discriminatedUnion('kind', [seedResults, scenarioResults, benchResults, capacityResults, growthResults])
  .meta({ title: 'chatbench results.json', description: `A chatbench run (schemaVersion ${RESULTS_SCHEMA_VERSION}): the whole configuration, the environment, and what was measured.` });

/** The JSON Schema of results.json (docs/results.schema.json is this, written by scripts/results-schema.ts). */
export function resultsJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(resultsSchema, { target: 'draft-2020-12' }), null, 2)}\n`;
}
