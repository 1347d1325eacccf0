// A scenario run: the same workload, with the same parameter sequence, against each variant in
// turn on the same server: answer checks, then per variant setup -> warm-up -> measured phase ->
// server evidence -> EXPLAIN -> teardown. Produces the results file's content.
import type pg from 'pg';
import { runEnvironment, relationSizes } from '../db/facts.ts';
import { connectClient, type Target } from '../db/target.ts';
import { toDatabaseError } from '../db/sqlstate.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import { loadModel, type Model, type ModelParams } from '../generate/model.ts';
import { hash2 } from '../generate/random.ts';
import { encodeHistogram, percentiles, spectrum } from '../metrics/histogram.ts';
import type { OperationStats } from '../metrics/counters.ts';
import type { EventResult, OperationResult, ScenarioResults, SeedPlanSummary, TimelinePoint, VariantScenarioResult } from '../results/types.ts';
import { META_SCHEMA, seedRecords } from '../schema/meta.ts';
import { retentionMethodOf } from '../schema/retention.ts';
import { partitionKey, rangeUnit, type Variant } from '../schema/variants.ts';
import { DEFAULT_RUN_OPTIONS, type RunOptions, type VariantInfo } from './api.ts';
import type { EventOutcome } from './event-window.ts';
import { answerChecks, plain } from './checks.ts';
import { ensurePgss, explain, partitionMap, resetStatements, snapshotDatabase, snapshotStatements, statementDelta, statementIds, walBytesBetween, type ExplainResult } from './evidence.ts';
import { Slot } from './connections.ts';
import { makeVirtualUser, runPhase, type LoadShape, type Op, type PhaseResult } from './executor.ts';
import { microBench } from './micro.ts';
import type { AnyScenario } from './registry.ts';
import { buildWorld, vuKey } from './world.ts';

export interface ScenarioRunConfig {
  scenario: AnyScenario;
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
  /** What the scenario may read of the run's choices (--retention-method); defaults when absent. */
  options?: RunOptions;
}

export type RunEvent =
  | { type: 'log'; message: string }
  | { type: 'phase'; variant: string; phase: 'setup' | 'warmup' | 'measure' | 'evidence' | 'teardown' }
  | { type: 'second'; variant: string; phase: 'warmup' | 'measure'; elapsedMs: number; ops: number; errors: number; p99Us: number }
  | { type: 'variant-done'; variant: string; result: VariantScenarioResult };

export function variantInfo(v: Variant): VariantInfo {
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
  plan: SeedPlanSummary & ModelParams;
  virtualNowMs: number;
  seedOf: Map<string, VariantScenarioResult['seed']>;
}

/** Every variant must be seeded, with the same data; returns the plan and the latest virtual time. */
async function seededState(client: pg.Client, variants: Variant[]): Promise<SeedState> {
  const byName = await seedRecords(client, variants.map((v) => v.name));
  const unseeded = variants.filter((v) => byName.get(v.name)?.status !== 'complete').map((v) => v.name);
  if (unseeded.length) throw new UsageError(`variant(s) ${unseeded.join(', ')} not seeded yet: run "npm run seed -- --variants ${unseeded.join(',')}" first (a seed that did not finish resumes with the same command)`);
  const plans = variants.map((v) => byName.get(v.name)!.plan as SeedState['plan']);
  const key = (p: SeedState['plan']) => JSON.stringify([p.seed, p.messages, p.users, p.servers, p.startMs, p.days, p.generatorVersion]);
  const differ = variants.filter((_, i) => key(plans[i]) !== key(plans[0])).map((v) => v.name);
  if (differ.length) {
    throw new UsageError(`variants ${variants[0].name} and ${differ.join(', ')} hold different data sets: seed them with the same command so the comparison means something`);
  }
  const virtualNowMs = Math.max(plans[0].endMs, ...variants.map((v) => new Date(byName.get(v.name)!.virtualNow ?? plans[0].endMs).getTime()));
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

/** The run's connections, as slots that reconnect after an outage with the same settings. */
async function openSlots(target: Target, schema: string, n: number, opTimeoutMs: number | undefined): Promise<Slot[]> {
  const connect = () => connectClient(target, { schema, applicationName: LOAD_APPLICATION, statementTimeoutMs: opTimeoutMs });
  const slots: Slot[] = [];
  try {
    for (let i = 0; i < n; i++) slots.push(new Slot(connect, await connect()));
  } catch (e) {
    await Promise.all(slots.map((s) => s.close()));
    throw e;
  }
  return slots;
}

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
  const monitor = new Slot(() => connectClient(target, { applicationName: 'chatbench scenario monitor' }));
  const idle = new AbortController().signal;
  let pending = Promise.resolve();
  const take = () => {
    pending = pending.then(async () => {
      const mem = process.memoryUsage();
      let serverConnections: number | null = null;
      try {
        const c = await monitor.get(idle);
        const r = await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND backend_type = 'client backend'`, [LOAD_APPLICATION]);
        serverConnections = r.rows[0].n as number;
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

/** Whole seconds only: a last, partial second would show as a false drop in throughput. */
function timelinePoints(phase: PhaseResult, offsetS: number): TimelinePoint[] {
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
    histograms: { latency: encodeHistogram(stats.latency), service: encodeHistogram(stats.service) },
    spectrum: spectrum(stats.latency),
  };
}

export async function runScenario(target: Target, cfg: ScenarioRunConfig, signal: AbortSignal, onEvent: (e: RunEvent) => void, command: string): Promise<ScenarioResults> {
  const startedAt = new Date();
  const admin = await connectClient(target, { applicationName: 'chatbench scenario admin' });
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
    const model = await loadModel({ seed: plan.seed, messages: plan.messages, users: plan.users, servers: plan.servers, startMs: plan.startMs, days: plan.days });
    const ops: Op[] = cfg.scenario.operations.map((def, index) => ({ def, index, statement: `cb_${cfg.scenario.name}_${def.name}`.replace(/[^a-z0-9_]/gi, '_') }));
    // Virtual time starts after everything written so far, on every variant alike.
    const vStart = virtualNowMs + 1000;
    const vEnd = vStart + (cfg.warmupMs + cfg.durationMs) * 2 + 60_000;
    const checkWorld = buildWorld(model, vStart, () => 0);

    // Partitions for the writes to come, and answer checks, before anything is timed.
    const perVariant = new Map<string, pg.Client>();
    for (const v of cfg.variants) {
      const c = await connectClient(target, { schema: v.schema, applicationName: 'chatbench scenario check' });
      perVariant.set(v.name, c);
      if (rangeUnit(v)) await c.query('SELECT create_message_partitions($1, $2)', [new Date(vStart - 86_400_000), new Date(vEnd + 86_400_000)]);
    }
    let checks: ScenarioResults['answerChecks'] = [];
    try {
      if (cfg.variants.length > 1) {
        onEvent({ type: 'log', message: `answer checks: ${cfg.scenario.name}'s reads on ${cfg.variants.length} variants with the same parameters` });
        checks = await answerChecks(cfg.scenario, ops, checkWorld, cfg.seed, cfg.variants.map((v) => ({ variant: v.name, client: perVariant.get(v.name)! })));
      }
    } finally {
      await Promise.all([...perVariant.values()].map((c) => c.end().catch(() => {})));
    }

    const variants: VariantScenarioResult[] = [];
    let interrupted = false;
    for (const v of cfg.variants) {
      if (signal.aborted) {
        interrupted = true;
        break;
      }
      const result = cfg.mode === 'micro' ? await microVariant(target, cfg, v, model, ops, vStart, onEvent, signal) : await loadVariant(target, cfg, v, model, ops, vStart, vEnd, onEvent, signal);
      result.seed = seedOf.get(v.name);
      variants.push(result);
      interrupted ||= signal.aborted;
      onEvent({ type: 'variant-done', variant: v.name, result });
    }
    return {
      schemaVersion: 1,
      kind: 'scenario',
      runId: '',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command,
      partial: interrupted,
      environment: env,
      scenario: {
        name: cfg.scenario.name,
        description: cfg.scenario.description,
        question: cfg.scenario.question,
        operations: cfg.scenario.operations.map((o) => ({ name: o.name, weight: o.weight ?? 0, sql: o.sql, kind: o.kind })),
      },
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
      },
      seed: plan,
      answerChecks: checks,
      variants,
    };
  } finally {
    await admin.end().catch(() => {});
  }
}

async function loadVariant(target: Target, cfg: ScenarioRunConfig, v: Variant, model: Model, ops: Op[], vStart: number, vEnd: number, onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<VariantScenarioResult> {
  const info = variantInfo(v);
  const vus = cfg.shape.kind === 'closed' ? cfg.shape.concurrency : cfg.connections;
  const slots = await openSlots(target, v.schema, Math.min(cfg.connections, vus), cfg.opTimeoutMs);
  let control = await connectClient(target, { schema: v.schema, applicationName: 'chatbench scenario control' });
  const eventConnect = () => connectClient(target, { schema: v.schema, applicationName: 'chatbench scenario event' });
  const eventSlot = cfg.scenario.event ? new Slot(eventConnect, await eventConnect()) : undefined;
  const allSlots = eventSlot ? [...slots, eventSlot] : slots;
  let phaseStartUs = performance.now() * 1000;
  const world = buildWorld(model, vStart, () => (performance.now() * 1000 - phaseStartUs) / 1000);
  const setupCtx = { client: control, world, variant: info, log: (m: string) => onEvent({ type: 'log', message: `${v.name}: ${m}` }) };
  try {
    if (cfg.scenario.setup) {
      onEvent({ type: 'phase', variant: v.name, phase: 'setup' });
      await cfg.scenario.setup(setupCtx).catch((e) => {
        throw toDatabaseError(e, `${cfg.scenario.name} setup on ${v.name}`);
      });
    }
    const options = cfg.options ?? DEFAULT_RUN_OPTIONS;
    const users = Array.from({ length: vus }, (_, k) => makeVirtualUser(k, vuKey(cfg.seed, cfg.scenario.name, k, 'load'), world, 'load', cfg.scenario, options));
    const eventOp = cfg.scenario.event ? ops.find((o) => o.def.name === cfg.scenario.event!.operation)! : undefined;
    const base = { scenario: cfg.scenario, ops, vus: users, slots, shape: cfg.shape, signal, arrivalSeed: hash2(cfg.seed, 0xa221) };
    const ids = await statementIds(control, [...new Set(ops.map((o) => o.def.sql))]);
    const idList = [...new Set(ids.values())];

    let warm: PhaseResult | undefined;
    if (cfg.warmupMs > 0) {
      onEvent({ type: 'phase', variant: v.name, phase: 'warmup' });
      phaseStartUs = performance.now() * 1000;
      warm = await runPhase({ ...base, durationMs: cfg.warmupMs, onSecond: (s) => onEvent({ type: 'second', variant: v.name, phase: 'warmup', ...s }) });
    }
    // Evidence windows open and close with nothing in flight, so server counts match ours exactly.
    const reset = await resetStatements(control, idList);
    const stmts0 = await snapshotStatements(control, idList);
    const db0 = await snapshotDatabase(control);
    onEvent({ type: 'phase', variant: v.name, phase: 'measure' });
    const sampler = sampleResources(target, RESOURCE_SAMPLE_MS);
    const measured = await runPhase({
      ...base,
      durationMs: cfg.durationMs,
      onSecond: (s) => onEvent({ type: 'second', variant: v.name, phase: 'measure', ...s }),
      event: eventOp && eventSlot ? { atMs: cfg.durationMs * cfg.scenario.event!.atFraction, op: eventOp, vu: makeVirtualUser(vus, vuKey(cfg.seed, cfg.scenario.name, vus, 'load'), world, 'load', cfg.scenario, options), slot: eventSlot } : undefined,
    });
    const resources = await sampler.stop();
    control = await liveControl(target, v.schema, control);
    const stmts1 = await snapshotStatements(control, idList);
    const db1 = await snapshotDatabase(control);
    onEvent({ type: 'phase', variant: v.name, phase: 'evidence' });

    const operations = ops.map((op) => operationResult(op, measured.stats[op.index], cfg.shape.kind === 'open'));
    for (const op of ops) {
      const res = operations[op.index];
      const d = statementDelta(stmts0, stmts1, ids.get(op.def.sql), reset);
      // Operations sharing one statement text share its server counters; say so rather than split them.
      const sharing = ops.filter((o) => o.def.sql === op.def.sql).length;
      if (d) res.server = { calls: d.calls, meanExecMs: d.calls ? d.totalExecMs / d.calls : 0, maxExecMs: d.maxExecMs, sharedHit: d.sharedHit, sharedRead: d.sharedRead, rows: d.rows };
      if (sharing > 1 && res.server) res.note = `server counters are shared by the ${sharing} operations with the same statement`;
      if (op.def.run && res.server && res.server.calls !== res.ok) res.note = 'ran its own statements (detaching concurrently): the server counters above are those of its sql only';
      const note = op.def.note?.(info);
      if (note) res.note = res.note ? `${res.note}; ${note}` : note;
    }
    if (cfg.explain && !signal.aborted) {
      const partitions = await partitionMap(control, v.schema);
      // Parameters from a user of the run itself: its state (cursors, its own messages) is real.
      const explainVu = users[0];
      for (const op of ops) {
        if (op.def.name === cfg.scenario.event?.operation) continue; // the retention drop itself: its plan is a function call
        let params: unknown[];
        try {
          params = op.def.params(explainVu);
        } catch {
          operations[op.index].plan = { text: 'no EXPLAIN: the operation had no parameters to draw from this user\'s state', partitionsScanned: 0, partitionsTotal: 0, params: [] };
          continue;
        }
        try {
          const ex: ExplainResult = await explain(control, op.def.sql, params, partitions);
          operations[op.index].plan = { ...ex, params: params.map(plain) };
        } catch (e) {
          operations[op.index].plan = { text: `EXPLAIN failed: ${(e as Error).message}`, partitionsScanned: 0, partitionsTotal: 0, params: params.map(plain) };
        }
      }
    }
    const sizes = await relationSizes(control, v.schema);
    const totalOk = operations.reduce((a, o) => a + o.ok, 0);
    const result: VariantScenarioResult = {
      variant: v.name,
      durationMs: Math.round(measured.elapsedMs),
      warmupMs: cfg.warmupMs,
      throughputPerSec: totalOk / (measured.elapsedMs / 1000),
      operations,
      timeline: [...(warm ? timelinePoints(warm, -Math.max(1, Math.floor(warm.elapsedMs / 1000))) : []), ...timelinePoints(measured, 0)],
      client: { eventLoopDelayUs: measured.eventLoopDelayUs },
      outages: measured.outages.map((x) => ({ ...x, fromMs: Math.round(x.fromMs), toMs: Math.round(x.toMs) })),
      reconnects: allSlots.reduce((a, sl) => a + sl.reconnects, 0),
      resources,
      event: eventOp && measured.event ? eventResult(eventOp, measured.event, measured.stats[eventOp.index].ok === 1, cfg.scenario.runOptions?.includes('retentionMethod') ? { requested: options.retentionMethod, used: retentionMethodOf(v, options.retentionMethod) } : undefined) : undefined,
      server: {
        hitRatio: db1.blksHit + db1.blksRead - db0.blksHit - db0.blksRead > 0 ? (db1.blksHit - db0.blksHit) / (db1.blksHit + db1.blksRead - db0.blksHit - db0.blksRead) : null,
        tempBytes: db1.tempBytes - db0.tempBytes,
        deadlocks: db1.deadlocks - db0.deadlocks,
        walBytes: await walBytesBetween(control, db0.walLsn, db1.walLsn),
        commits: db1.commits - db0.commits,
        rollbacks: db1.rollbacks - db0.rollbacks,
        tableBytes: Object.fromEntries(Object.entries(sizes).map(([t, s]) => [t, s.tableBytes])),
        indexBytes: Object.assign({}, ...Object.values(sizes).map((s) => s.indexes)),
      },
    };
    return result;
  } finally {
    if (cfg.scenario.teardown) {
      onEvent({ type: 'phase', variant: v.name, phase: 'teardown' });
      await cfg.scenario.teardown(setupCtx).catch((e) => onEvent({ type: 'log', message: `${v.name}: teardown failed: ${(e as Error).message}` }));
    }
    await control.query(`UPDATE ${META_SCHEMA}.clock SET virtual_now = greatest(virtual_now, $2) WHERE variant = $1`, [v.name, new Date(vEnd)]).catch(() => {});
    await Promise.all(allSlots.map((sl) => sl.close()));
    await control.end().catch(() => {});
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
  const client = await connectClient(target, { schema: v.schema, applicationName: 'chatbench micro', statementTimeoutMs: cfg.opTimeoutMs });
  const t0 = performance.now();
  try {
    onEvent({ type: 'phase', variant: v.name, phase: 'measure' });
    const world = buildWorld(model, vStart, () => performance.now() - t0);
    const runnable = ops.filter((o) => o.def.name !== cfg.scenario.event?.operation);
    const stats = await microBench(client, cfg.scenario, runnable, world, cfg.seed, cfg.durationMs, cfg.warmupMs, signal);
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
    await client.end().catch(() => {});
  }
}

