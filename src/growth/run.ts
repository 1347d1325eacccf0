// Growth: the same scenario with the same parameter law on the same designs at several data sizes.
// Each size lives in a database of its own (`chatbench_1m`, `chatbench_10m` ...), so sizes sit side
// by side; a seed already there with the same parameters is reused, a partial one resumed; with
// --free-after a size is dropped once measured, so 100M of three designs need not fit at once.
import { envelope } from '../results/envelope.ts';
import pg from 'pg';
import { runEnvironment } from '../db/facts.ts';
import { describePriority, type Priority, watchPriority, withMeasuringPriority } from '../metrics/priority.ts';
import { connectClient, onDatabase, type Target } from '../db/target.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import { loadModel, type Model, type ModelParams } from '../generate/model.ts';
import { buildPlan, planParams } from '../generate/plan.ts';
import { formatBytes, formatMs, shortCount } from '../metrics/format.ts';
import type { GrowthPoint, GrowthResults, RunEnvironment, ScenarioResults, VariantScenarioResult } from '../results/types.ts';
import { describeScenario, LoadPool, runScenario, type AnyScenario, type RunEvent, type ScenarioRunConfig } from '../scenario/engine.ts';
import { revertVariant } from '../schema/apply.ts';
import { dataKeyOf, sameData, seedRecords, type SeedRecord } from '../schema/bookkeeping.ts';
import type { Variant } from '../schema/variants.ts';
import os from 'node:os';
import { calibrateGenerator, calibrateServer, estimateSeed, estimateVariant, type Calibration } from '../seed/estimate.ts';
import { seedVariants, type SeedEvent } from '../seed/seed.ts';
import { fitGrowth, memoryCrossings, project, settingBytes } from './analyse.ts';
import { planGrowth, sizeDatabase, type GrowthItem, type GrowthPlan } from './plan.ts';

export interface GrowthConfig {
  scenario: AnyScenario;
  variants: Variant[];
  /** Ascending, distinct. */
  sizes: number[];
  projectTo: number | null;
  /** Sizes whose data is dropped once measured (only what this run seeded). */
  freeAfter: number[];
  /** The scenario run at every size (its variants are set per measurement). */
  run: Omit<ScenarioRunConfig, 'variants' | 'onlySeeded'>;
  /** Data seed (the model's), the same at every size. */
  dataSeed: number;
  jobs: number;
}

export type GrowthEvent =
  | { type: 'log'; message: string }
  | { type: 'item'; index: number; total: number; item: GrowthItem; etaMs: number }
  | { type: 'seed'; item: GrowthItem; event: SeedEvent }
  | { type: 'second'; item: GrowthItem; phase: 'warmup' | 'measure'; elapsedMs: number; durationMs: number; ops: number; errors: number; p99Us: number; etaMs: number }
  | { type: 'point'; point: GrowthPoint }
  | { type: 'freed'; item: GrowthItem };

/** Marks a database as created by chatbench growth: only such a database is ever dropped. */
const GROWTH_DB_MARK = 'chatbench growth';
/** Connecting, evidence and EXPLAIN around each measurement, for the time estimate. */
const MEASURE_OVERHEAD_S = 10;

const paramsFor = (messages: number, dataSeed: number): ModelParams => planParams({ messages, seed: dataSeed });

async function databaseMark(base: Target, name: string): Promise<'none' | 'ours' | 'theirs'> {
  const c = await connectClient(base, { applicationName: 'chatbench growth' });
  try {
    const r = await c.query(`SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`, [name]);
    if (!r.rowCount) return 'none';
    return String(r.rows[0].comment ?? '').startsWith(GROWTH_DB_MARK) ? 'ours' : 'theirs';
  } finally {
    await c.end().catch(() => {});
  }
}

/** Creates the database for a size (marked as chatbench's), or checks an existing one is ours. */
async function ensureSizeDatabase(base: Target, name: string, messages: number): Promise<void> {
  const mark = await databaseMark(base, name);
  if (mark === 'ours') return;
  if (mark === 'theirs') throw new RuntimeError(`database ${name} exists and chatbench growth did not create it, so chatbench keeps out of it: rename or drop it, or use another --db`);
  const c = await connectClient(base, { applicationName: 'chatbench growth' });
  try {
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    await c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(`${GROWTH_DB_MARK}: data sets of ${shortCount(messages)} messages`)}`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '42501') throw new RuntimeError(`cannot create database ${name} for the ${shortCount(messages)} size: the user lacks CREATEDB (growth keeps one database per size); grant it, or run on the embedded server`);
    throw e;
  } finally {
    await c.end().catch(() => {});
  }
}

async function recordsIn(base: Target, database: string): Promise<Map<string, SeedRecord>> {
  const c = await connectClient(onDatabase(base, database), { applicationName: 'chatbench growth' });
  try {
    return await seedRecords(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Where each size and design stands: its data already in the target's database or the size's own
 * (reuse), a partial seed of the same data (resume), or nothing yet (seed). Data of other
 * parameters in the size's database is refused, never replaced.
 */
export async function inspectGrowth(base: Target | null, cfg: GrowthConfig, baseDatabase: string): Promise<Array<Pick<GrowthItem, 'messages' | 'variant' | 'database' | 'state' | 'free'>>> {
  const items: Array<Pick<GrowthItem, 'messages' | 'variant' | 'database' | 'state' | 'free'>> = [];
  const inBase = base ? await recordsIn(base, baseDatabase) : new Map<string, SeedRecord>();
  for (const messages of cfg.sizes) {
    const db = sizeDatabase(baseDatabase, messages);
    const key = dataKeyOf(paramsFor(messages, cfg.dataSeed));
    const mark = base ? await databaseMark(base, db) : 'none';
    if (mark === 'theirs') throw new RuntimeError(`database ${db} exists and chatbench growth did not create it, so chatbench keeps out of it: rename or drop it, or use another --db`);
    const inSize = base && mark === 'ours' ? await recordsIn(base, db) : new Map<string, SeedRecord>();
    for (const v of cfg.variants) {
      const here = inBase.get(v.name);
      const there = inSize.get(v.name);
      const free = cfg.freeAfter.includes(messages);
      if (here?.status === 'complete' && sameData(here.plan, key)) items.push({ messages, variant: v.name, database: baseDatabase, state: 'reuse', free: false });
      else if (there?.status === 'complete' && sameData(there.plan, key)) items.push({ messages, variant: v.name, database: db, state: 'reuse', free: false });
      else if (there && there.status === 'loading' && sameData(there.plan, key)) items.push({ messages, variant: v.name, database: db, state: 'resume', free });
      else if (there) {
        throw new UsageError(`database ${db} holds variant ${v.name} seeded with other parameters (${there.plan.messages} messages, seed ${there.plan.seed}, generator ${there.plan.generatorVersion}): drop it with "npm run schema -- revert --variant ${v.name} --force --db <url of ${db}>" and run again`);
      } else items.push({ messages, variant: v.name, database: db, state: 'seed', free });
    }
  }
  return items;
}

/** Disk and time for each item, from the seeder's estimate (a calibration sample per size). */
export async function estimateGrowth(
  inspected: Awaited<ReturnType<typeof inspectGrowth>>,
  cfg: GrowthConfig,
  freeBytes: number | null,
  serverCalibration?: (v: Variant, model: Model, plan: ReturnType<typeof buildPlan>) => Promise<number>,
): Promise<GrowthPlan> {
  const measureSeconds = (cfg.run.warmupMs + cfg.run.durationMs) / 1000 + MEASURE_OVERHEAD_S;
  const serverRates: Record<string, number> = {};
  const items: GrowthItem[] = [];
  for (const messages of cfg.sizes) {
    const params = paramsFor(messages, cfg.dataSeed);
    const model = await loadModel(params);
    const plan = buildPlan(params, model);
    const cal: Calibration = { ...calibrateGenerator(model), serverRowsPerSec: serverRates };
    for (const v of cfg.variants) {
      // The server's ingest rate hardly depends on the size: sampled once per design, on the first.
      if (serverCalibration && serverRates[v.name] === undefined) serverRates[v.name] = await serverCalibration(v, model, plan);
      const e = estimateVariant(v, plan, cal);
      const it = inspected.find((x) => x.messages === messages && x.variant === v.name)!;
      // The seed's time model on this machine (memory taken as the embedded server's settings assume).
      const mem = os.totalmem();
      const seedSeconds = estimateSeed([v], plan, cal, { cores: os.availableParallelism(), memBytes: mem, sharedBuffersBytes: mem / 4, maintenanceWorkMemBytes: mem / 16 }, { jobs: cfg.jobs, verify: 'sample' }).time.totalSeconds;
      items.push({ ...it, estimatedBytes: e.totalBytes, seedSeconds, measureSeconds });
    }
  }
  return planGrowth(items, freeBytes);
}

/** A server calibration for the plan: a COPY sample into each design, rolled back. */
export function serverCalibrator(base: Target): (v: Variant, model: Model, plan: ReturnType<typeof buildPlan>) => Promise<number> {
  return async (v, model, plan) => {
    const c = await connectClient(base, { applicationName: 'chatbench growth estimate' });
    try {
      return await calibrateServer(c, v, model, plan);
    } finally {
      await c.end().catch(() => {});
    }
  };
}

function pointOf(item: GrowthItem, v: VariantScenarioResult, memory: GrowthResults['memory'], reused: boolean): GrowthPoint {
  const sum = (o: Record<string, number>, pick: (k: string) => boolean = () => true) => Object.entries(o).filter(([k]) => pick(k)).reduce((a, [, b]) => a + b, 0);
  const indexes = sum(v.server.indexBytes);
  const steps = v.seed?.steps ?? [];
  return {
    variant: item.variant,
    messages: item.messages,
    database: item.database,
    seed: { reused, freed: false, steps, totalMs: steps.reduce((a, s) => a + s.ms, 0) },
    throughputPerSec: v.throughputPerSec,
    operations: v.operations.map((o) => ({ name: o.name, ok: o.ok, failed: o.failed, p50Us: o.latencyUs.p50, p99Us: o.latencyUs.p99, serverMeanExecUs: o.server ? o.server.meanExecMs * 1000 : null })),
    bytes: { messagesTable: v.server.tableBytes.messages ?? 0, messagesIndexes: sum(v.server.indexBytes, (k) => k.startsWith('messages_')), tables: sum(v.server.tableBytes), indexes },
    fitsSharedBuffers: memory.sharedBuffersBytes === null ? null : indexes <= memory.sharedBuffersBytes,
    fitsMemory: indexes <= memory.machineMemBytes,
    result: v,
  };
}

/** Drops what this run seeded for one size and design; the size's database too once it is empty. */
async function freeItem(base: Target, baseDatabase: string, item: GrowthItem, variant: Variant): Promise<void> {
  const t = onDatabase(base, item.database);
  const c = await connectClient(t, { applicationName: 'chatbench growth' });
  let empty = false;
  try {
    await revertVariant(c, variant);
    empty = (await seedRecords(c)).size === 0;
  } finally {
    await c.end().catch(() => {});
  }
  if (empty && item.database !== baseDatabase && (await databaseMark(base, item.database)) === 'ours') {
    const admin = await connectClient(base, { applicationName: 'chatbench growth' });
    try {
      await admin.query(`DROP DATABASE ${pg.escapeIdentifier(item.database)}`);
    } finally {
      await admin.end().catch(() => {});
    }
  }
}

export async function runGrowth(base: Target, cfg: GrowthConfig, plan: GrowthPlan, baseDatabase: string, signal: AbortSignal, onEvent: (e: GrowthEvent) => void, command: string): Promise<GrowthResults> {
  const startedAt = new Date();
  const env: RunEnvironment = await (async () => {
    const c = await connectClient(base, { applicationName: 'chatbench growth' });
    try {
      return await runEnvironment(base, c);
    } finally {
      await c.end().catch(() => {});
    }
  })();
  const memory = { sharedBuffersBytes: settingBytes(env.serverSettings.shared_buffers), machineMemBytes: env.machine.memBytes };
  const points: GrowthPoint[] = [];
  const models = new Map<number, Model>();
  let scenarioShape: ScenarioResults['scenario'] | undefined;
  // The results record each scenario run's session nice, or the nice over the whole run when none ran.
  const priorities: Priority[] = [];
  const whole = watchPriority();
  let interrupted = false;
  // Actual time over estimated time so far, to correct the ETA as the run learns the machine.
  let spentS = 0;
  let estimatedS = 0;
  const itemSeconds = (it: GrowthItem) => (it.state === 'reuse' ? 0 : it.seedSeconds) + it.measureSeconds;
  const etaMs = (from: number) => {
    const left = plan.items.slice(from).reduce((a, it) => a + itemSeconds(it), 0);
    return left * 1000 * (estimatedS > 0 ? spentS / estimatedS : 1);
  };
  const loads = new LoadPool();
  try {
    for (const [k, item] of plan.items.entries()) {
      if (signal.aborted) {
        interrupted = true;
        break;
      }
      const t0 = performance.now();
      const variant = cfg.variants.find((v) => v.name === item.variant)!;
      onEvent({ type: 'item', index: k, total: plan.items.length, item, etaMs: etaMs(k) });
      const target = onDatabase(base, item.database);
      try {
        if (item.state !== 'reuse') {
          if (item.database !== baseDatabase) await ensureSizeDatabase(base, item.database, item.messages);
          const params = paramsFor(item.messages, cfg.dataSeed);
          if (!models.has(item.messages)) models.set(item.messages, await loadModel(params));
          const seeded = await seedVariants({ target, variants: [variant], params, model: models.get(item.messages)!, jobs: cfg.jobs, format: 'binary', verify: 'sample', resume: false, force: false, signal, onEvent: (event) => onEvent({ type: 'seed', item, event }) });
          if (seeded.interrupted) throw seeded.interrupted;
        }
      } catch (e) {
        if (signal.aborted) {
          interrupted = true;
          break;
        }
        throw e;
      }
      let left = etaMs(k);
      const run: ScenarioRunConfig = { ...cfg.run, variants: [variant], onlySeeded: false };
      // Designs of one size share the load threads (same data, same database); a new size starts its own.
      // Measured at chatbench's measuring priority; the seed above is not.
      const results = await withMeasuringPriority(() => runScenario(target, run, signal, (e: RunEvent) => {
        if (e.type === 'log') onEvent(e);
        else if (e.type === 'priority') priorities.push(e.priority);
        else if (e.type === 'second') {
          left = Math.max(0, left - 1000);
          onEvent({ type: 'second', item, phase: e.phase, elapsedMs: e.elapsedMs, durationMs: e.phase === 'warmup' ? cfg.run.warmupMs : cfg.run.durationMs, ops: e.ops, errors: e.errors, p99Us: e.p99Us, etaMs: left });
        }
      }, { command, loads }), (m) => onEvent({ type: 'log', message: m }));
      scenarioShape ??= results.scenario;
      if (results.partial || !results.variants[0]) {
        interrupted = true; // a measurement cut short is not a point: it would bend the fit
        break;
      }
      const point = pointOf(item, results.variants[0], memory, item.state === 'reuse');
      points.push(point);
      onEvent({ type: 'point', point });
      if (item.free && !signal.aborted) {
        await freeItem(base, baseDatabase, item, variant);
        point.seed.freed = true;
        onEvent({ type: 'freed', item });
      }
      spentS += (performance.now() - t0) / 1000;
      estimatedS += itemSeconds(item);
    }
  } finally {
    whole.end();
    await loads.stop();
  }
  env.clientPriority = describePriority(priorities.length ? priorities : [whole.end()]);
  const fits = fitGrowth(points);
  return {
    ...envelope({ name: `${cfg.scenario.name}-growth`, startedAt, command, environment: env }, interrupted || points.length < plan.items.length),
    kind: 'growth',
    scenario: scenarioShape ?? describeScenario(cfg.scenario),
    config: {
      variants: cfg.variants.map((v) => v.name),
      sizes: cfg.sizes,
      projectTo: cfg.projectTo,
      freeAfter: cfg.freeAfter,
      dataSeed: cfg.dataSeed,
      executor: cfg.run.shape.kind,
      concurrency: cfg.run.shape.kind === 'closed' ? cfg.run.shape.concurrency : undefined,
      ratePerSec: cfg.run.shape.kind === 'open' ? cfg.run.shape.ratePerSec : undefined,
      arrivals: cfg.run.shape.kind === 'open' ? cfg.run.shape.arrivals : undefined,
      connections: cfg.run.connections,
      durationMs: cfg.run.durationMs,
      warmupMs: cfg.run.warmupMs,
      seed: cfg.run.seed,
      explain: cfg.run.explain,
      opTimeoutMs: cfg.run.opTimeoutMs,
      workers: cfg.run.workers,
      rounds: cfg.run.rounds,
      planCache: cfg.run.planCache,
    },
    memory,
    points,
    fits,
    projections: cfg.projectTo ? project(fits, cfg.projectTo) : [],
    crossings: memoryCrossings(points, fits, memory),
  };
}

/** One line per item of the plan, for --dry-run and the start of a run. */
export function planLines(plan: GrowthPlan): string[] {
  const lines = plan.items.map((it) => {
    const what = it.state === 'reuse' ? `reuse (already in ${it.database})` : `${it.state === 'resume' ? 'resume the seed' : 'seed'} into ${it.database}, ~${formatBytes(it.estimatedBytes)}, ~${formatMs(it.seedSeconds * 1000)}${it.free ? ', dropped once measured' : ''}`;
    return `  ${shortCount(it.messages).padStart(6)}  ${it.variant.padEnd(26)} ${what}; measure ~${formatMs(it.measureSeconds * 1000)}`;
  });
  return lines;
}
