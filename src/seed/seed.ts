// Seeding variants, as pgbench initialises: named, timed steps. create (schema and partitions) ->
// for each group of variants that fits in memory: load (the group's variants fed from one
// generation, resumable per relation) -> post-load tasks on parallel connections (indexes, foreign
// keys, verification, counters, statistics), each in its own transaction with its progress mark ->
// sizes. Safe to interrupt and run again.
import pg from 'pg';
import type { CopyFormat } from '../copy/writer.ts';
import { relationSizes, runEnvironment } from '../db/facts.ts';
import { connectClient, SEED_CONNECT_TIMEOUT_MS, type Target } from '../db/target.ts';
import { benchmarkSettings, machineFacts, type MachineFacts } from '../db/server-settings.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import type { Model, ModelParams } from '../generate/model.ts';
import { buildPlan, type DataPlan } from '../generate/plan.ts';
import { describePriority, watchPriority } from '../metrics/priority.ts';
import { applyPhase, revertVariant } from '../schema/apply.ts';
import { envelope } from '../results/envelope.ts';
import { appliedVariant, completeSeed, doneTasks, ensureMeta, forgetLoaded, loadedByTable, loadedRelations, lockDdl, oldPartialSeed, recordPhase, sameData, saveSeedSteps, seedRecords, startSeed, unloggedLoaded, type AppliedVariant, type DataKey, type SeedRecord } from '../schema/bookkeeping.ts';
import type { Variant } from '../schema/variants.ts';
import type { RunEnvironment, SeedFacts, SeedResults, SeedTimeline, StepResult, TableFacts, VariantSeedResult } from '../results/types.ts';
import { readLayouts, type TableLayout } from './layout.ts';
import { ChannelCounts } from './channel-counts.ts';
import { planPasses, runPasses, type LoadDesign, type LoadEvent } from './load.ts';
import { cachedPostLoadPlan, type PostLoadPlan } from './post-load-plan.ts';
import { postLoadTasks } from './post-load.ts';
import { progressOf, type ProgressSnapshot, type ProgressState, type SeedEstimate } from './progress.ts';
import { runTasks, type Task, type TaskEvent } from './tasks.ts';
import { Sampler } from './sampler.ts';
import { TABLES, type TableName } from '../generate/tables.ts';
import { verificationResults, type TableVerification, type VerifyMode } from './verify.ts';

export type SeedEvent =
  | { type: 'variant'; variant: string; resumed: boolean; relationsTotal: number; relationsDone: number }
  | { type: 'step'; variant: string; step: string; phase: 'start' | 'end'; ms?: number; detail?: string }
  | { type: 'progress'; progress: ProgressSnapshot }
  | { type: 'log'; message: string };

export interface SeedOptions {
  target: Target;
  variants: Variant[];
  params: ModelParams;
  model: Model;
  jobs: number;
  format: CopyFormat;
  verify: VerifyMode;
  resume: boolean;
  force: boolean;
  signal: AbortSignal;
  onEvent: (e: SeedEvent) => void;
  /**
   * The variants seeded together, group after group: each group is loaded (one generation for its
   * variants), then post-loaded, before the next (memoryGroups). Default: all in one group.
   */
  groups?: string[][];
  /** Each group's estimate (from the dry-run model), for the ETA. */
  estimate?: Array<Omit<SeedEstimate, 'laterMs'>>;
}

export interface SeedRun {
  /** When the seed started, and where it ran: the results envelope's. */
  startedAt: Date;
  environment: RunEnvironment;
  variants: VariantSeedResult[];
  timeline: SeedTimeline;
  totalMs: number;
  /** Set when the run stopped early (Ctrl-C): what is here was done before. */
  interrupted?: unknown;
}

function describePlan(p: DataKey): string {
  return `seed ${p.seed}, ${p.messages} messages, ${p.users} users, ${p.servers} servers, ${p.days} days from ${new Date(p.startMs).toISOString().slice(0, 10)}`;
}

/** True if any of the variant's main tables holds a row (someone loaded data chatbench did not record). */
async function holdsRows(client: pg.ClientBase, schema: string): Promise<boolean> {
  for (const t of ['users', 'messages']) {
    const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${pg.escapeIdentifier(schema)}.${t}) AS any`);
    if (r.rows[0].any) return true;
  }
  return false;
}

/** What the bookkeeping says of a variant: how far it is applied, and its seed record. */
export interface VariantFound {
  applied: AppliedVariant | undefined;
  seed: SeedRecord | undefined;
}

/**
 * What seeding a variant that may already hold data means: start fresh, resume the same partial
 * seed, or drop and start over (--force); anything else is refused with what to do instead.
 */
export async function seedDecision(client: pg.ClientBase, variant: Variant, data: DataKey, opts: { force: boolean; resume: boolean }, found: VariantFound): Promise<'fresh' | 'resume' | 'replace'> {
  const { applied, seed: existing } = found;
  if (!applied) return 'fresh';
  if (opts.force) return 'replace';
  if (existing && existing.status === 'loading' && sameData(existing.plan, data) && applied.definitionHash === variant.definitionHash) {
    if (await oldPartialSeed(client, variant.name)) {
      throw new UsageError(`variant ${variant.name} holds a partial seed made by an older chatbench, which this one cannot resume: pass --force to drop it and seed again`);
    }
    return 'resume';
  }
  if (existing && existing.status === 'complete' && opts.resume && sameData(existing.plan, data)) {
    throw new UsageError(`variant ${variant.name} is already completely seeded with ${describePlan(existing.plan)}: nothing to resume (use --force to seed it again)`);
  }
  if (existing) {
    const what = existing.status === 'complete' ? 'already holds a seed' : 'holds a partial seed';
    throw new UsageError(
      `variant ${variant.name} ${what} (${describePlan(existing.plan)})${sameData(existing.plan, data) ? '' : ', not the one asked for'}: ` +
        `pass --force to drop it and seed again${existing.status === 'loading' && sameData(existing.plan, data) ? ', or run the same command to resume' : ''}`,
    );
  }
  if (await holdsRows(client, variant.schema)) {
    throw new UsageError(`variant ${variant.name} is applied and holds rows chatbench did not seed: pass --force to drop schema ${variant.schema} and seed it`);
  }
  return 'replace'; // applied by "schema apply" and empty: re-created for the load
}

interface VariantState {
  variant: Variant;
  resumed: boolean;
  steps: StepResult[];
  layouts: Map<TableName, TableLayout>;
  done: Set<string>;
  postLoadDone: boolean;
  /** The post-load migrations, recorded as applied once their tasks are done. */
  migrations: string[];
}

/** Seeds variants with the same data; refuses existing data unless resuming (same plan) or forced. */
export async function seedVariants(opts: SeedOptions): Promise<SeedRun> {
  const grouped = opts.groups?.flat() ?? [];
  const missing = opts.groups && opts.variants.find((v) => grouped.filter((g) => g === v.name).length !== 1);
  if (missing) throw new RuntimeError(`variant ${missing.name} is in no group of the seed, or in more than one`);
  const stranger = grouped.find((g) => !opts.variants.some((v) => v.name === g));
  if (stranger) throw new RuntimeError(`group member ${stranger} is not a variant of the seed`);
  const plan = buildPlan(opts.params, opts.model);
  const lock = await connectClient(opts.target, { applicationName: 'chatbench seed lock', connectTimeoutMs: SEED_CONNECT_TIMEOUT_MS });
  try {
    const startedAt = new Date();
    const environment = await runEnvironment(opts.target, lock);
    for (const v of opts.variants) {
      const got = await lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`chatbench-seed:${v.name}`]);
      if (!got.rows[0].ok) throw new RuntimeError(`another chatbench seed of variant ${v.name} is running on ${opts.target.display}: wait for it to finish (or stop it)`);
    }
    // A seed runs unraised, but a chatbench run measuring in the same session meanwhile raises it: said.
    const priority = watchPriority();
    try {
      const seeded = await seedLocked(opts, lock, plan);
      environment.clientPriority = describePriority([priority.end()]);
      return { startedAt, environment, ...seeded };
    } finally {
      priority.end();
    }
  } finally {
    await lock.end().catch(() => {});
  }
}

async function seedLocked(opts: SeedOptions, client: pg.Client, plan: DataPlan): Promise<Omit<SeedRun, 'startedAt' | 'environment'>> {
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  const sampler = new Sampler(opts.target, clock);
  await sampler.start();
  const timeline: SeedTimeline = { lanes: [], bars: [], samples: [] };
  const states: VariantState[] = [];
  /**
   * Group i's estimate for the ETA, and the later groups', scaled by how long the groups before took
   * (`elapsedMs`) against their estimate.
   */
  const groupEstimate = (i: number, elapsedMs = 0): SeedEstimate | undefined => {
    const e = opts.estimate?.[i];
    const sum = (from: number, to?: number) => (opts.estimate ?? []).slice(from, to).reduce((a, x) => a + x.loadMs + x.postLoadMs, 0);
    const scale = sum(0, i) > 0 ? Math.min(2, Math.max(0.5, elapsedMs / sum(0, i))) : 1;
    return e && { loadMs: e.loadMs * scale, postLoadMs: e.postLoadMs * scale, laterMs: sum(i + 1) * scale };
  };
  // The counters of the group being seeded, and its estimate.
  const progress: ProgressState & { estimate?: SeedEstimate } = { rowsDone: 0, bytesDone: 0, rowsTotal: 0, tasksWeight: 0, tasksDone: 0, phase: 'create', current: new Map<string, number>(), loadStartMs: 0, postStartMs: 0, estimate: groupEstimate(0) };
  const emitProgress = () => opts.onEvent({ type: 'progress', progress: progressOf(progress, sampler.latest(), clock(), progress.estimate) });
  const ticker = setInterval(emitProgress, 1000);
  let interrupted: unknown;
  try {
    await ensureBookkeeping(client);
    for (const variant of opts.variants) states.push(await prepareVariant(opts, client, variant, plan, clock));

    // The post-load plans are derived (in scratch schemas) while the load runs.
    const version = await serverVersion(client);
    const planning = planAll(opts, states, plan, version);
    planning.catch(() => {}); // awaited below; a failure is reported there

    /**
     * Loads what is not loaded yet of the group's variants, from one generation. Returns the
     * channels' counters of the variants that got every message from it (not after a resume).
     */
    const loadGroup = async (group: VariantState[]): Promise<Map<VariantState, ChannelCounts>> => {
      const designs: LoadDesign[] = group.map((s) => ({ variant: s.variant.name, schema: s.variant.schema, layouts: s.layouts, done: s.done }));
      const passes = planPasses(opts.model, designs);
      // Variants with no messages leaf loaded before get every message from this load: their
      // channels' counters are counted on the way (once, on the first: the rows are the same).
      const whole = designs.map((d) => d.layouts.get('messages')?.leaves.some((l) => d.done.has(l.relation)) === false);
      const counts = whole.includes(true) ? new ChannelCounts(opts.model.channelCount) : undefined;
      for (const s of group) {
        const total = [...s.layouts.values()].reduce((a, l) => a + l.leaves.length, 0);
        opts.onEvent({ type: 'variant', variant: s.variant.name, resumed: s.resumed, relationsTotal: total, relationsDone: s.done.size });
      }
      if (!passes.length) return new Map();
      progress.phase = 'load';
      progress.loadStartMs = clock();
      const walBefore = await sampler.walBytes();
      const loadStart = clock();
      for (const s of group) opts.onEvent({ type: 'step', variant: s.variant.name, step: 'load', phase: 'start' });
      const slots = new Map<number, number>();
      const done = await runPasses({
        target: opts.target,
        model: opts.model,
        designs,
        passes,
        slots: opts.jobs * 2,
        format: opts.format,
        signal: opts.signal,
        marks: true,
        channelCounts: counts && { design: whole.indexOf(true), counts },
        onEvent: (e: LoadEvent) => {
          if (e.type === 'chunk') {
            progress.rowsDone += e.rows;
            progress.bytesDone += e.bytes;
            sampler.add(e.rows, e.bytes);
          } else if (e.type === 'pass') {
            const lane = `load ${e.slot + 1}`;
            if (e.phase === 'start') {
              slots.set(e.slot, clock());
              progress.current.set('load', (progress.current.get('load') ?? 0) + 1);
            } else {
              timeline.bars.push({ lane, step: 'load', label: `${group.length < opts.variants.length ? `${group.map((s) => s.variant.name).join(', ')}: ` : ''}${e.key === 'messages' ? 'messages family' : e.key} (${e.relations.length} relation(s))`, startMs: slots.get(e.slot)!, endMs: clock() });
              progress.current.set('load', progress.current.get('load')! - 1);
            }
          }
        },
      }).catch((e) => {
        if (opts.signal.aborted) interrupted = e;
        else throw e;
        return [];
      });
      const walAfter = await sampler.walBytes();
      for (const s of group) {
        const mine = done.filter((d) => d.variant === s.variant.name);
        const rows = mine.reduce((a, d) => a + d.rows, 0);
        const step: StepResult = { name: 'load', ms: Math.round(clock() - loadStart), startMs: Math.round(loadStart), endMs: Math.round(clock()), detail: `${mine.length} relation(s), ${rows} rows${group.length > 1 ? `, one generation for ${group.length} variants` : ''}`, walBytes: walAfter !== undefined && walBefore !== undefined ? Math.round((walAfter - walBefore) / group.length) : undefined };
        s.steps = s.steps.filter((x) => x.name !== 'load');
        s.steps.push(step);
        await saveSeedSteps(client, s.variant.name, s.steps);
        opts.onEvent({ type: 'step', variant: s.variant.name, step: 'load', phase: 'end', ms: step.ms, detail: step.detail });
      }
      if (interrupted) throw interrupted;
      return new Map(counts ? group.filter((_, i) => whole[i]).map((s) => [s, counts]) : []);
    };

    /** Runs the post-load tasks of the group's variants not marked done; returns those done now. */
    const postLoadGroup = async (group: VariantState[], counted: Map<VariantState, ChannelCounts>) => {
      progress.phase = 'post-load';
      progress.postStartMs = clock();
      const tasks: Task[] = [];
      const plans = await planning;
      for (const s of group.filter((x) => !x.postLoadDone)) {
        const pl = plans.get(s.variant.name)!;
        const pages = await relationPages(client, s.variant.schema);
        const all = postLoadTasks({ variant: s.variant.name, schema: s.variant.schema, plan: pl, layouts: s.layouts, model: opts.model, verify: opts.verify, pages, rows: plan.rows, server: { versionNum: version.num, maxParallelMaintenanceWorkers: version.maxParallelMaintenanceWorkers }, channelCounts: counted.get(s) });
        tasks.push(...all.filter((t) => !marks.get(s.variant.name)!.has(t.key)));
        s.migrations = pl.migrations;
      }
      progress.tasksWeight = tasks.reduce((a, t) => a + t.weight, 0);
      const taskStart = new Map<string, number>();
      const stepsStarted = new Set<string>();
      const weightOf = new Map(tasks.map((t) => [`${t.variant}:${t.key}`, t.weight]));
      const done = await runTasks({
        target: opts.target,
        tasks,
        connections: opts.jobs,
        signal: opts.signal,
        walPerBackend: version.num >= 180000,
        settings: opts.target.kind === 'embedded' ? { maintenance_work_mem: `${seedMaintenanceWorkMemMb(machineFacts(), opts.jobs)}MB` } : undefined,
        clock,
        onEvent: (e: TaskEvent) => {
          const k = `${e.variant}:${e.key}`;
          if (e.phase === 'start') {
            if (!stepsStarted.has(`${e.variant}:${e.step}`)) {
              stepsStarted.add(`${e.variant}:${e.step}`);
              opts.onEvent({ type: 'step', variant: e.variant, step: e.step, phase: 'start' });
            }
            taskStart.set(k, e.atMs);
            progress.current.set(e.step, (progress.current.get(e.step) ?? 0) + 1);
          } else {
            progress.tasksDone += weightOf.get(k) ?? 0;
            progress.current.set(e.step, progress.current.get(e.step)! - 1);
            timeline.bars.push({ lane: `connection ${e.slot + 1}`, step: e.step, label: `${opts.variants.length > 1 ? `${e.variant}: ` : ''}${e.key}`, startMs: taskStart.get(k)!, endMs: e.atMs, variant: e.variant });
          }
        },
      }).catch((e) => {
        if (opts.signal.aborted) interrupted = e;
        else throw e;
        return [];
      });
      if (interrupted) throw interrupted;
      return done;
    };

    // Group after group: each group's load, then its post-load, while its data is in memory. The
    // variants are completed at the end, together: a seed stopped in a later group resumes them all
    // when the same command runs again.
    const marks = await doneTasks(client, states.map((s) => s.variant.name));
    const taskDone: Awaited<ReturnType<typeof runTasks>> = [];
    const groups = (opts.groups ?? [opts.variants.map((v) => v.name)]).map((g) => states.filter((s) => g.includes(s.variant.name)));
    const groupsStartMs = clock();
    const rowsPerVariant = Object.values(plan.rows).reduce((a, b) => a + b, 0);
    for (const [i, group] of groups.entries()) {
      Object.assign(progress, { group: { at: i + 1, of: groups.length }, estimate: groupEstimate(i, clock() - groupsStartMs), rowsDone: 0, bytesDone: 0, rowsTotal: rowsPerVariant * group.length, tasksWeight: 0, tasksDone: 0 });
      // The counts (12 bytes a channel) live for their group only.
      const counted = await loadGroup(group);
      opts.signal.throwIfAborted();
      taskDone.push(...(await postLoadGroup(group, counted)));
    }

    // finish every variant
    const results: VariantSeedResult[] = [];
    const detailOf = (v: string, key: string) => taskDone.find((d) => d.variant === v && d.key === key)?.detail ?? marks.get(v)?.get(key) ?? undefined;
    for (const s of states) {
      if (!s.postLoadDone) {
        for (const step of stepSpans(taskDone.filter((d) => d.variant === s.variant.name))) {
          s.steps = s.steps.filter((x) => x.name !== step.name);
          s.steps.push(step);
        }
        await recordPhase(client, s.variant, 'post-load', s.migrations);
      }
      const verified = verificationResults(s.layouts, opts.verify, (key) => detailOf(s.variant.name, key) ?? undefined);
      results.push(await finishVariant(client, s, verified, opts.verify, clock));
    }
    timeline.samples = sampler.samples();
    timeline.lanes = [...new Set(timeline.bars.map((b) => b.lane))].sort();
    return { variants: results, timeline, totalMs: Math.round(clock()) };
  } catch (e) {
    if (!opts.signal.aborted) throw e;
    timeline.samples = sampler.samples();
    return { variants: [], timeline, totalMs: Math.round(clock()), interrupted: e };
  } finally {
    clearInterval(ticker);
    await sampler.stop();
  }
}

/** Post-load plans of the variants still to index, each derived on a connection of its own. */
async function planAll(opts: SeedOptions, states: VariantState[], plan: DataPlan, version: { num: number }): Promise<Map<string, PostLoadPlan>> {
  const out = new Map<string, PostLoadPlan>();
  await Promise.all(
    states
      .filter((s) => !s.postLoadDone)
      .map(async (s) => {
        const c = await connectClient(opts.target, { applicationName: 'chatbench seed plan', connectTimeoutMs: SEED_CONNECT_TIMEOUT_MS });
        try {
          out.set(s.variant.name, await cachedPostLoadPlan(c, s.variant, { fromMs: plan.startMs, toMs: plan.endMs }, { notValidOnPartitioned: version.num >= 180000, serverVersionNum: version.num }));
        } finally {
          await c.end().catch(() => {});
        }
      }),
  );
  return out;
}

/** The results file of a seed run, stamped by the envelope like every other kind of run. */
export function seedResults(run: SeedRun, ctx: { plan: DataPlan; command: string; config: SeedResults['config']; estimate?: SeedResults['estimate'] }): SeedResults {
  const p = ctx.plan;
  return {
    ...envelope({ name: 'seed', startedAt: run.startedAt, command: ctx.command, environment: run.environment }, Boolean(run.interrupted)),
    kind: 'seed',
    config: ctx.config,
    plan: { seed: p.seed, messages: p.messages, users: p.users, servers: p.servers, startMs: p.startMs, endMs: p.endMs, days: p.days, rows: p.rows, generatorVersion: p.generatorVersion, distribution: { ...p.distribution } },
    variants: run.variants,
    timeline: run.timeline,
    totalMs: run.totalMs,
    estimate: ctx.estimate,
  };
}

async function ensureBookkeeping(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
  try {
    await lockDdl(client);
    await ensureMeta(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

async function prepareVariant(opts: SeedOptions, client: pg.Client, variant: Variant, plan: DataPlan, clock: () => number): Promise<VariantState> {
  const steps: StepResult[] = [];
  // Read once (the bookkeeping is there: ensureBookkeeping ran) and passed along. The seed record
  // only where the decision reads it: --force replaces even a record this chatbench cannot read.
  const state = await appliedVariant(client, variant.name);
  const found: VariantFound = { applied: state, seed: state && !opts.force ? (await seedRecords(client, [variant.name])).get(variant.name) : undefined };
  const decision = await seedDecision(client, variant, plan, opts, found);
  const resumed = decision === 'resume';
  let applied = found.applied;
  const existing = resumed ? found.seed : undefined;
  const timed = async <T>(name: string, fn: () => Promise<T>, detail?: (t: T) => string): Promise<T> => {
    opts.onEvent({ type: 'step', variant: variant.name, step: name, phase: 'start' });
    const start = clock();
    const out = await fn();
    const step: StepResult = { name, ms: Math.round(clock() - start), startMs: Math.round(start), endMs: Math.round(clock()), detail: detail?.(out) };
    steps.push(step);
    opts.onEvent({ type: 'step', variant: variant.name, step: name, phase: 'end', ms: step.ms, detail: step.detail });
    return out;
  };
  if (applied && !resumed) {
    // --force, or an empty variant left by "schema apply": start over in a fresh schema.
    await timed('drop', () => revertVariant(client, variant, { force: opts.force }));
    applied = undefined;
  }
  if (!applied) {
    await timed('create', async () => {
      const timings = await applyPhase(client, variant, 'pre-load', { fromMs: plan.startMs, toMs: plan.endMs });
      await startSeed(client, variant.name, plan);
      return timings;
    }, (t) => `${t.length} migrations${t.some((x) => x.name === 'partitions') ? ', partitions' : ''}`);
  } else {
    // Times of a previous run of this seed are kept (the timeline starts again at zero).
    steps.push(...(existing?.steps ?? []).map((s) => ({ ...s, startMs: undefined, endMs: undefined })));
  }
  // Created just now (pre-load), or resumed as it was read above: no need to read it again.
  const phase = applied ? applied.phase : 'pre-load';
  const layouts = await readLayouts(client, variant.schema);
  if (resumed) {
    const reset = await resetCrashedUnlogged(client, variant.name, variant.schema);
    if (reset.length) opts.onEvent({ type: 'log', message: `${variant.name}: ${reset.join(', ')} (UNLOGGED) emptied by a server crash: loading again` });
  }
  const done = new Set((await loadedRelations(client, variant.name)).keys());
  // Kept now: a seed stopped before this variant's group loads resumes with them.
  if (!resumed) await saveSeedSteps(client, variant.name, steps);
  return { variant, resumed, steps, layouts, done, postLoadDone: phase === 'post-load', migrations: [] };
}

/**
 * Crash recovery empties UNLOGGED tables (presence, typing) while their marks, which are logged,
 * survive: such a relation whose rows no longer match its mark is emptied and its mark forgotten,
 * so the resumed load writes it again. Returns the relations reset.
 */
async function resetCrashedUnlogged(client: pg.ClientBase, variant: string, schema: string): Promise<string[]> {
  const reset: string[] = [];
  for (const row of await unloggedLoaded(client, variant, schema)) {
    const rel = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(row.relation)}`;
    const n = Number((await client.query(`SELECT count(*)::text AS n FROM ${rel}`)).rows[0].n);
    if (n === row.rows) continue;
    await client.query('BEGIN');
    await client.query(`TRUNCATE ${rel}`);
    await forgetLoaded(client, variant, row.relation);
    await client.query('COMMIT');
    reset.push(row.relation);
  }
  return reset;
}

async function serverVersion(client: pg.Client): Promise<{ num: number; maxParallelMaintenanceWorkers: number }> {
  const r = await client.query(`SELECT current_setting('server_version_num')::int AS num, current_setting('max_parallel_maintenance_workers')::int AS w`);
  return { num: r.rows[0].num, maxParallelMaintenanceWorkers: r.rows[0].w };
}

async function relationPages(client: pg.Client, schema: string): Promise<Map<string, number>> {
  // relpages is not set by COPY; the file size is what the builds will read.
  const r = await client.query(`SELECT relname, pg_relation_size(oid) / 8192 AS pages FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'p')`, [schema]);
  return new Map(r.rows.map((x) => [x.relname as string, Number(x.pages)]));
}

/**
 * maintenance_work_mem for the seed's own connections on the embedded server: the memory left by
 * shared_buffers and 4 GB for everything else, shared by the builds running at once, between the
 * server's setting and 3 GB. Sorts of a 100M-message seed's partitions then stay in memory.
 */
function seedMaintenanceWorkMemMb(m: MachineFacts, jobs: number): number {
  const mb = 1024 * 1024;
  const setting = Number(benchmarkSettings(m).maintenance_work_mem.replace('MB', ''));
  const shared = Number(benchmarkSettings(m).shared_buffers.replace('MB', ''));
  const room = Math.floor((m.memBytes / mb - shared - 4096) / Math.max(1, jobs));
  return Math.max(setting, Math.min(3072, room));
}

/** One entry per post-load step: when its first task started, when its last ended, the work in it. */
function stepSpans(done: Array<{ step: string; startMs: number; endMs: number; walBytes?: number }>): StepResult[] {
  const by = new Map<string, typeof done>();
  for (const d of done) by.set(d.step, [...(by.get(d.step) ?? []), d]);
  return [...by.entries()].map(([name, ds]) => {
    const startMs = Math.min(...ds.map((d) => d.startMs));
    const endMs = Math.max(...ds.map((d) => d.endMs));
    const wal = ds.every((d) => d.walBytes === undefined) ? undefined : ds.reduce((a, d) => a + (d.walBytes ?? 0), 0);
    return { name, ms: Math.round(endMs - startMs), startMs: Math.round(startMs), endMs: Math.round(endMs), workMs: Math.round(ds.reduce((a, d) => a + d.endMs - d.startMs, 0)), tasks: ds.length, walBytes: wal, detail: `${ds.length} task(s)` };
  });
}

async function finishVariant(client: pg.Client, s: VariantState, verified: Record<string, TableVerification> | undefined, mode: VerifyMode, clock: () => number): Promise<VariantSeedResult> {
  const { variant } = s;
  const start = clock();
  const sizes = await relationSizes(client, variant.schema);
  const marked = await loadedByTable(client, variant.name);
  const tables: Record<string, TableFacts> = {};
  for (const row of marked) {
    const v = verified?.[row.table];
    tables[row.table] = { rows: v?.rows ?? row.rows, checksum: v?.checksum ?? '', checksumScope: v ? mode : 'none', tableBytes: 0, indexes: {} };
  }
  for (const [table, size] of Object.entries(sizes)) {
    const t = (tables[table] ??= { rows: 0, checksum: '', checksumScope: mode === 'none' ? 'none' : mode, tableBytes: 0, indexes: {} });
    t.tableBytes = size.tableBytes;
    t.indexes = size.indexes;
  }
  s.steps = s.steps.filter((x) => x.name !== 'sizes');
  s.steps.push({ name: 'sizes', ms: Math.round(clock() - start), startMs: Math.round(start), endMs: Math.round(clock()) });
  const rows: Record<string, number> = Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.rows]));
  const load = s.steps.find((x) => x.name === 'load');
  const loadedRows = marked.reduce((a, r) => a + r.rows, 0);
  const loadedBytes = marked.reduce((a, r) => a + r.bytes, 0);
  const totalMs = Math.round(clock());
  const facts: SeedFacts = {
    tables,
    totalBytes: Object.values(tables).reduce((a, t) => a + t.tableBytes + Object.values(t.indexes).reduce((x, y) => x + y, 0), 0),
    loadRowsPerSec: load && load.ms > 0 && !s.resumed ? Math.round(loadedRows / (load.ms / 1000)) : 0,
    loadBytesPerSec: load && load.ms > 0 && !s.resumed ? Math.round(loadedBytes / (load.ms / 1000)) : 0,
    totalMs,
  };
  await completeSeed(client, variant.name, facts, s.steps);
  return { variant: variant.name, schema: variant.schema, resumed: s.resumed, rows, steps: s.steps, facts, totalMs };
}

/**
 * Rows and the content checksum of every table of the schema on the search path, each read whole
 * (the checksum a `--verify full` seed records): to compare data across layouts after it changed.
 */
export async function tableChecksums(client: pg.ClientBase): Promise<Record<string, TableFacts>> {
  await client.query(`SET TimeZone = 'UTC'`);
  const out: Record<string, TableFacts> = {};
  for (const name of Object.keys(TABLES) as TableName[]) {
    const r = await client.query(`SELECT count(*)::bigint AS rows, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text AS sum FROM ${name} t`);
    out[name] = { rows: Number(r.rows[0].rows), checksum: r.rows[0].sum, checksumScope: 'full', tableBytes: 0, indexes: {} };
  }
  await client.query('RESET TimeZone');
  return out;
}
