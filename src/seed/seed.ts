// Seeding one variant, as pgbench initialises: named, ordered, timed steps. create (schema and
// partitions) -> load (COPY, resumable) -> indexes -> foreign keys -> triggers -> reconcile
// counters -> vacuum analyze -> checksums -> sizes. Safe to interrupt and run again.
import pg from 'pg';
import type { CopyFormat } from '../copy/writer.ts';
import { relationSizes } from '../db/facts.ts';
import { connectClient, type Target } from '../db/target.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import type { Model, ModelParams } from '../generate/model.ts';
import { buildPlan, type DataPlan } from '../generate/plan.ts';
import { TABLES, type TableName } from '../generate/tables.ts';
import { applyPhase, revertVariant, setSchemaPath, type MigrationTiming } from '../schema/apply.ts';
import { appliedVariant, META_SCHEMA, sameData, seedRecords, type DataKey } from '../schema/meta.ts';
import type { Variant } from '../schema/variants.ts';
import type { SeedFacts, StepResult, TableFacts, VariantSeedResult } from '../results/types.ts';
import { committedChunks, resetCrashedUnlogged, loadChunks, planChunks, type ChunkDone } from './load.ts';

export type SeedEvent =
  | { type: 'variant'; variant: string; resumed: boolean; chunksTotal: number; chunksDone: number; rowsTotal: number }
  | { type: 'step'; variant: string; step: string; phase: 'start' | 'end'; ms?: number; detail?: string }
  | { type: 'chunk'; variant: string; done: ChunkDone }
  | { type: 'log'; message: string };

export interface SeedOptions {
  target: Target;
  variant: Variant;
  params: ModelParams;
  model: Model;
  jobs: number;
  format: CopyFormat;
  resume: boolean;
  force: boolean;
  signal: AbortSignal;
  onEvent: (e: SeedEvent) => void;
}

/** Steps of the post-load phase, named after the fragments they run. */
function postLoadStepName(migration: string): string {
  if (migration === '05_keys' || migration.startsWith('06_time_index')) return 'indexes';
  if (migration === '07_foreign_keys') return 'foreign-keys';
  return 'triggers';
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

async function timed<T>(opts: SeedOptions, steps: StepResult[], name: string, fn: () => Promise<T>, detail?: (t: T) => string): Promise<T> {
  opts.signal.throwIfAborted(); // Ctrl-C stops between steps; the seed stays 'loading' and resumes
  opts.onEvent({ type: 'step', variant: opts.variant.name, step: name, phase: 'start' });
  const t0 = performance.now();
  const out = await fn();
  const step = { name, ms: Math.round(performance.now() - t0), detail: detail?.(out) };
  steps.push(step);
  opts.onEvent({ type: 'step', variant: opts.variant.name, step: name, phase: 'end', ms: step.ms, detail: step.detail });
  return out;
}

/** Seeds one variant; refuses existing data unless resuming (same plan) or forced. */
export async function seedVariant(opts: SeedOptions): Promise<VariantSeedResult> {
  const { target, variant, params, model } = opts;
  const plan = buildPlan(params, model);
  const lock = await connectClient(target, { applicationName: 'chatbench seed lock' });
  try {
    const got = await lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`chatbench-seed:${variant.name}`]);
    if (!got.rows[0].ok) throw new RuntimeError(`another chatbench seed of variant ${variant.name} is running on ${target.display}: wait for it to finish (or stop it)`);
    return await seedLocked(opts, lock, plan);
  } finally {
    await lock.end().catch(() => {});
  }
}

/**
 * What seeding a variant that may already hold data means: start fresh, resume the same partial
 * seed, or drop and start over (--force); anything else is refused with what to do instead.
 */
export async function seedDecision(client: pg.ClientBase, variant: Variant, data: DataKey, opts: { force: boolean; resume: boolean }): Promise<'fresh' | 'resume' | 'replace'> {
  const applied = await appliedVariant(client, variant.name);
  if (!applied) return 'fresh';
  if (opts.force) return 'replace';
  const existing = (await seedRecords(client, [variant.name])).get(variant.name);
  if (existing && existing.status === 'loading' && sameData(existing.plan, data) && applied.definitionHash === variant.definitionHash) return 'resume';
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

async function seedLocked(opts: SeedOptions, client: pg.Client, plan: DataPlan): Promise<VariantSeedResult> {
  const { variant, model } = opts;
  const steps: StepResult[] = [];
  const decision = await seedDecision(client, variant, plan, opts);
  const resumed = decision === 'resume';
  let applied = await appliedVariant(client, variant.name);
  const existing = resumed ? (await seedRecords(client, [variant.name])).get(variant.name) : undefined;
  if (applied && !resumed) {
    // --force, or an empty variant left by "schema apply": start over in a fresh schema.
    await timed(opts, steps, 'drop', () => revertVariant(client, variant, { force: opts.force }));
    applied = undefined;
  }
  if (!applied) {
    await timed(opts, steps, 'create', async () => {
      const timings = await applyPhase(client, variant, 'pre-load', { fromMs: plan.startMs, toMs: plan.endMs });
      await client.query(
        `INSERT INTO ${META_SCHEMA}.seeds (variant, plan, status) VALUES ($1, $2, 'loading')
         ON CONFLICT (variant) DO UPDATE SET plan = EXCLUDED.plan, status = 'loading', facts = NULL, steps = '[]', started_at = now(), finished_at = NULL`,
        [variant.name, plan],
      );
      await client.query(`INSERT INTO ${META_SCHEMA}.clock (variant, virtual_now) VALUES ($1, $2) ON CONFLICT (variant) DO UPDATE SET virtual_now = EXCLUDED.virtual_now`, [variant.name, new Date(plan.endMs)]);
      return timings;
    }, (t) => `${t.length} migrations${t.some((x) => x.name === 'partitions') ? ', partitions' : ''}`);
  } else {
    steps.push(...(existing?.steps ?? []).filter((s) => s.name === 'create' || s.name === 'load'));
  }
  const state = await appliedVariant(client, variant.name);

  // load
  const chunks = planChunks(model);
  if (resumed) {
    const reset = await resetCrashedUnlogged(client, variant.name, variant.schema);
    if (reset.length) opts.onEvent({ type: 'log', message: `${variant.name}: ${reset.join(', ')} (UNLOGGED) emptied by a server crash: loading again` });
  }
  const done = await committedChunks(client, variant.name);
  const todo = chunks.filter((c) => !done.has(`${c.key}:${c.index}`));
  opts.onEvent({ type: 'variant', variant: variant.name, resumed, chunksTotal: chunks.length, chunksDone: chunks.length - todo.length, rowsTotal: Object.values(plan.rows).reduce((a, b) => a + b, 0) });
  if (state?.phase === 'pre-load' && (todo.length > 0 || !steps.some((s) => s.name === 'load'))) {
    await timed(opts, steps, 'load', () =>
      loadChunks({
        target: opts.target,
        schema: variant.schema,
        variant: variant.name,
        model,
        chunks: todo,
        jobs: opts.jobs,
        format: opts.format,
        signal: opts.signal,
        onChunk: (d) => opts.onEvent({ type: 'chunk', variant: variant.name, done: d }),
      }),
    );
    await saveSteps(client, variant.name, steps);
  }
  opts.signal.throwIfAborted();

  // indexes, foreign keys, triggers: the post-load phase, one transaction, timed per migration
  if (state?.phase === 'pre-load') {
    opts.onEvent({ type: 'step', variant: variant.name, step: 'indexes, foreign keys, triggers', phase: 'start' });
    const timings: MigrationTiming[] = await applyPhase(client, variant, 'post-load');
    for (const name of ['indexes', 'foreign-keys', 'triggers']) {
      const ms = Math.round(timings.filter((t) => postLoadStepName(t.name) === name).reduce((a, t) => a + t.ms, 0));
      steps.push({ name, ms, detail: timings.filter((t) => postLoadStepName(t.name) === name).map((t) => t.name).join(', ') });
      opts.onEvent({ type: 'step', variant: variant.name, step: name, phase: 'end', ms });
    }
    await saveSteps(client, variant.name, steps);
  }
  await setSchemaPath(client, variant.schema, false);
  await timed(opts, steps, 'reconcile', async () => (await client.query('SELECT reconcile_channel_counters() AS n')).rows[0].n as number, (n) => `${n} channels updated`);
  await timed(opts, steps, 'sequences', () => resetSequences(client));
  await timed(opts, steps, 'vacuum-analyze', () => vacuumAnalyze(client, variant.schema));
  const tables = await timed(opts, steps, 'checksums', () => tableChecksums(client));
  await timed(opts, steps, 'sizes', async () => {
    for (const [table, size] of Object.entries(await relationSizes(client, variant.schema))) {
      const t = (tables[table] ??= { rows: 0, checksum: '', tableBytes: 0, indexes: {} });
      t.tableBytes = size.tableBytes;
      t.indexes = size.indexes;
    }
  });
  const loadStep = steps.find((s) => s.name === 'load');
  const rows: Record<string, number> = Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.rows]));
  const totalRows = Object.values(rows).reduce((a, b) => a + b, 0);
  const totalCopyBytes = Number((await client.query(`SELECT coalesce(sum(bytes), 0)::bigint AS b FROM ${META_SCHEMA}.seed_chunks WHERE variant = $1`, [variant.name])).rows[0].b);
  const facts: SeedFacts = {
    tables,
    totalBytes: Object.values(tables).reduce((a, t) => a + t.tableBytes + Object.values(t.indexes).reduce((x, y) => x + y, 0), 0),
    loadRowsPerSec: loadStep && loadStep.ms > 0 && !resumed ? Math.round(totalRows / (loadStep.ms / 1000)) : 0,
    loadBytesPerSec: loadStep && loadStep.ms > 0 && !resumed ? Math.round(totalCopyBytes / (loadStep.ms / 1000)) : 0,
  };
  await client.query(
    `UPDATE ${META_SCHEMA}.seeds SET status = 'complete', facts = $2, steps = $3, finished_at = now() WHERE variant = $1`,
    [variant.name, facts, JSON.stringify(steps)],
  );
  return { variant: variant.name, schema: variant.schema, resumed, rows, steps, facts };
}

async function saveSteps(client: pg.ClientBase, variant: string, steps: StepResult[]): Promise<void> {
  await client.query(`UPDATE ${META_SCHEMA}.seeds SET steps = $2 WHERE variant = $1`, [variant, JSON.stringify(steps)]);
}

/** Identity sequences continue after the loaded ids, so the application's inserts do not collide. */
async function resetSequences(client: pg.ClientBase): Promise<void> {
  for (const t of ['users', 'servers', 'channels', 'roles', 'channel_permission_overwrites', 'audit_log']) {
    await client.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM ${t}), false)`);
  }
}

async function vacuumAnalyze(client: pg.ClientBase, schema: string): Promise<void> {
  const r = await client.query(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
    [schema],
  );
  for (const row of r.rows) await client.query(`VACUUM (ANALYZE) ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(row.relname)}`);
}

/** Rows and an order-independent checksum of every loaded table's full content (timestamps in UTC). */
export async function tableChecksums(client: pg.ClientBase): Promise<Record<string, TableFacts>> {
  await client.query(`SET TimeZone = 'UTC'`);
  const out: Record<string, TableFacts> = {};
  for (const name of Object.keys(TABLES) as TableName[]) {
    const r = await client.query(`SELECT count(*)::bigint AS rows, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text AS sum FROM ${name} t`);
    out[name] = { rows: Number(r.rows[0].rows), checksum: r.rows[0].sum, tableBytes: 0, indexes: {} };
  }
  await client.query('RESET TimeZone');
  return out;
}


