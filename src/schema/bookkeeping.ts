// chatbench's bookkeeping store: the `chatbench` schema in the target database (which variants are
// applied and how far, what was seeded into each, the marks that make a seed resumable, the virtual
// clock). Every statement on it is here; readers return validated, typed rows. It is created with
// the first variant and dropped with the last, so a revert leaves nothing.
import pg from 'pg';
import { z } from 'zod';
import { RuntimeError } from '../errors.ts';
import { modelParamsOf, type ModelParams } from '../generate/model.ts';
import { GENERATOR_VERSION, type DataPlan } from '../generate/plan.ts';
import type { Phase, Variant } from './variants.ts';

const META_SCHEMA = 'chatbench';
/** The comment that marks the bookkeeping schema as chatbench's own: an unmarked one is never touched. */
const META_MARK = 'chatbench bookkeeping';

/** Serialises every chatbench DDL change in a database (taken inside a transaction). */
const DDL_LOCK_KEY = 0x63686174; // "chat"

const META_DDL = `
CREATE SCHEMA IF NOT EXISTS ${META_SCHEMA};
COMMENT ON SCHEMA ${META_SCHEMA} IS '${META_MARK}: applied variants, seeds, resumable chunks';
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.variants (
  variant         text PRIMARY KEY,
  schema_name     text NOT NULL UNIQUE,
  definition_hash text NOT NULL,
  applied         text[] NOT NULL DEFAULT '{}',
  phase           text NOT NULL CHECK (phase IN ('pre-load', 'post-load')),
  applied_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.seeds (
  variant     text PRIMARY KEY REFERENCES ${META_SCHEMA}.variants ON DELETE CASCADE,
  plan        jsonb NOT NULL,
  status      text NOT NULL CHECK (status IN ('loading', 'complete')),
  facts       jsonb,
  steps       jsonb NOT NULL DEFAULT '[]',
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- The seeder's progress marks: a relation (table or leaf partition) loaded, with the rows counted
-- per key range while loading (checked by the verification step), and each post-load task done.
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.seed_sinks (
  variant      text NOT NULL REFERENCES ${META_SCHEMA}.variants ON DELETE CASCADE,
  relation     text NOT NULL,
  table_name   text NOT NULL,
  row_count    bigint NOT NULL,
  bytes        bigint NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (variant, relation)
);
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.seed_ranges (
  variant    text NOT NULL REFERENCES ${META_SCHEMA}.variants ON DELETE CASCADE,
  relation   text NOT NULL,
  table_name text NOT NULL,
  range      integer NOT NULL,
  row_count  bigint NOT NULL,
  key_sum    bigint NOT NULL,
  PRIMARY KEY (variant, relation, range)
);
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.seed_tasks (
  variant text NOT NULL REFERENCES ${META_SCHEMA}.variants ON DELETE CASCADE,
  task    text NOT NULL,
  ms      integer NOT NULL,
  detail  text,
  done_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (variant, task)
);
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.seed_plans (
  key     text PRIMARY KEY,
  plan    jsonb NOT NULL,
  made_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.clock (
  variant      text PRIMARY KEY REFERENCES ${META_SCHEMA}.variants ON DELETE CASCADE,
  virtual_now  timestamptz NOT NULL
);
`;

const appliedRow = z.object({
  variant: z.string(),
  schema_name: z.string(),
  definition_hash: z.string(),
  applied: z.array(z.string()),
  phase: z.enum(['pre-load', 'post-load']),
});

export interface AppliedVariant {
  variant: string;
  schema: string;
  definitionHash: string;
  /** The migrations applied, in order. */
  applied: string[];
  phase: Phase;
}

function toApplied(row: unknown): AppliedVariant {
  const r = appliedRow.parse(row);
  return { variant: r.variant, schema: r.schema_name, definitionHash: r.definition_hash, applied: r.applied, phase: r.phase };
}

export async function lockDdl(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK_KEY]);
}

/** Creates the bookkeeping schema if needed; call inside a transaction after lockDdl(). */
export async function ensureMeta(client: pg.ClientBase): Promise<void> {
  const r = await client.query(`SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`, [META_SCHEMA]);
  if (r.rowCount && !String(r.rows[0].comment ?? '').startsWith(META_MARK)) {
    throw new RuntimeError(`this database has a schema named ${META_SCHEMA} that chatbench did not create: chatbench keeps its bookkeeping there, so it stops rather than write into it; rename that schema or point --db at another database`);
  }
  await client.query(META_DDL);
}

/**
 * Whether this database holds chatbench's bookkeeping (a schema of that name marked as ours, with
 * its tables), in one query. Someone else's schema of that name holds none of ours, whatever its
 * tables are called. The readers below that take no such check need it true (or ensureMeta()).
 */
export async function bookkeepingPresent(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query(
    `SELECT starts_with(coalesce(obj_description(oid, 'pg_namespace'), ''), '${META_MARK}') AND to_regclass('${META_SCHEMA}.variants') IS NOT NULL AS ours
       FROM pg_namespace WHERE nspname = '${META_SCHEMA}'`,
  );
  return r.rowCount === 1 && r.rows[0].ours === true;
}

/** Every applied variant; empty where there is no bookkeeping. */
export async function appliedVariants(client: pg.ClientBase): Promise<AppliedVariant[]> {
  if (!(await bookkeepingPresent(client))) return [];
  const r = await client.query(`SELECT variant, schema_name, definition_hash, applied, phase FROM ${META_SCHEMA}.variants ORDER BY variant`);
  return r.rows.map(toApplied);
}

/** One variant's state, in one query; the bookkeeping must be present (see bookkeepingPresent). */
export async function appliedVariant(client: pg.ClientBase, name: string): Promise<AppliedVariant | undefined> {
  const r = await client.query(`SELECT variant, schema_name, definition_hash, applied, phase FROM ${META_SCHEMA}.variants WHERE variant = $1`, [name]);
  return r.rowCount ? toApplied(r.rows[0]) : undefined;
}

/**
 * Records a phase's migrations as applied (the first phase creates the variant's entry). The seeder
 * runs the post-load statements itself, on parallel connections, and records them here once done.
 */
export async function recordPhase(client: pg.ClientBase, variant: Variant, phase: Phase, names: string[]): Promise<void> {
  await client.query(
    `INSERT INTO ${META_SCHEMA}.variants (variant, schema_name, definition_hash, applied, phase)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (variant) DO UPDATE SET applied = ${META_SCHEMA}.variants.applied || EXCLUDED.applied, phase = EXCLUDED.phase, updated_at = now()`,
    [variant.name, variant.schema, variant.definitionHash, names, phase],
  );
}

/** Forgets a reverted variant (its seed and marks go with it), then the schema if no variant is left. */
export async function forgetVariant(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DELETE FROM ${META_SCHEMA}.variants WHERE variant = $1`, [name]);
  const r = await client.query(`SELECT count(*)::int AS n FROM ${META_SCHEMA}.variants`);
  if (r.rows[0].n === 0) await client.query(`DROP SCHEMA ${META_SCHEMA} CASCADE`);
}

/** What identifies a data set: the generator version and the model parameters. */
export type DataKey = ModelParams & { generatorVersion: number };

/** The data set a seed with these parameters makes with this chatbench's generator. */
export function dataKeyOf(params: ModelParams): DataKey {
  return { ...modelParamsOf(params), generatorVersion: GENERATOR_VERSION };
}

/** Whether two plans describe the same data set: the one comparison seeds and scenarios make. */
export function sameData(a: DataKey, b: DataKey): boolean {
  const keys: Array<keyof DataKey> = ['generatorVersion', 'seed', 'messages', 'users', 'servers', 'startMs', 'days'];
  return keys.every((k) => a[k] === b[k]);
}

/** A seed's plan as stored (the seed's DataPlan, as JSON), validated when read. */
const storedPlanSchema = z.looseObject({
  seed: z.number(),
  messages: z.number(),
  users: z.number(),
  servers: z.number(),
  startMs: z.number(),
  endMs: z.number(),
  days: z.number(),
  generatorVersion: z.number(),
  rows: z.record(z.string(), z.number()),
  distribution: z.record(z.string(), z.number()),
});
export type StoredPlan = z.infer<typeof storedPlanSchema>;

const seedRow = z.object({
  variant: z.string(),
  status: z.enum(['loading', 'complete']),
  steps: z.array(z.looseObject({ name: z.string(), ms: z.number(), detail: z.string().optional() })).nullable(),
  facts: z.looseObject({ totalBytes: z.number().optional(), loadRowsPerSec: z.number().optional() }).nullable(),
  virtual_now_ms: z.number().nullable(),
});

/** What chatbench recorded about a variant's seed. */
export interface SeedRecord {
  variant: string;
  plan: StoredPlan;
  status: 'loading' | 'complete';
  steps: Array<{ name: string; ms: number; detail?: string }>;
  /** Set once the seed is complete. */
  facts: { totalBytes?: number; loadRowsPerSec?: number } | null;
  /** The virtual time scenarios have written up to (null before any scenario). */
  virtualNowMs: number | null;
}

function toSeedRecord(x: { variant: string; plan: unknown }): SeedRecord {
  const plan = storedPlanSchema.safeParse(x.plan);
  const row = seedRow.safeParse(x);
  if (plan.success && row.success) {
    const r = row.data;
    return { variant: r.variant, plan: plan.data, status: r.status, steps: r.steps ?? [], facts: r.facts, virtualNowMs: r.virtual_now_ms };
  }
  const [what, bad] = plan.success ? ['seed record', row.error!.issues[0]] : ['seed plan', plan.error.issues[0]];
  throw new RuntimeError(`the bookkeeping of variant ${x.variant} holds a ${what} this chatbench cannot read (${bad.path.join('.')}: ${bad.message}): seed it again with --force`);
}

/** The seed records of every variant (or of those named), by variant; empty before any seed. */
export async function seedRecords(client: pg.ClientBase, variants?: string[]): Promise<Map<string, SeedRecord>> {
  if (!(await bookkeepingPresent(client))) return new Map();
  const r = await client.query(
    `SELECT s.variant, s.plan, s.status, s.steps, s.facts, (extract(epoch FROM c.virtual_now) * 1000)::float8 AS virtual_now_ms
       FROM ${META_SCHEMA}.seeds s LEFT JOIN ${META_SCHEMA}.clock c USING (variant)
      WHERE $1::text[] IS NULL OR s.variant = ANY($1)`,
    [variants ?? null],
  );
  return new Map(r.rows.map((x) => [x.variant as string, toSeedRecord(x)]));
}

/** Starts a variant's seed record (status loading, no steps) and its virtual clock at the data's end. */
export async function startSeed(client: pg.ClientBase, variant: string, plan: DataPlan): Promise<void> {
  await client.query(
    `INSERT INTO ${META_SCHEMA}.seeds (variant, plan, status) VALUES ($1, $2, 'loading')
     ON CONFLICT (variant) DO UPDATE SET plan = EXCLUDED.plan, status = 'loading', facts = NULL, steps = '[]', started_at = now(), finished_at = NULL`,
    [variant, plan],
  );
  await client.query(`INSERT INTO ${META_SCHEMA}.clock (variant, virtual_now) VALUES ($1, $2) ON CONFLICT (variant) DO UPDATE SET virtual_now = EXCLUDED.virtual_now`, [variant, new Date(plan.endMs)]);
}

export async function saveSeedSteps(client: pg.ClientBase, variant: string, steps: SeedRecord['steps']): Promise<void> {
  await client.query(`UPDATE ${META_SCHEMA}.seeds SET steps = $2 WHERE variant = $1`, [variant, JSON.stringify(steps)]);
}

export async function completeSeed(client: pg.ClientBase, variant: string, facts: object, steps: SeedRecord['steps']): Promise<void> {
  await client.query(`UPDATE ${META_SCHEMA}.seeds SET status = 'complete', facts = $2, steps = $3, finished_at = now() WHERE variant = $1`, [variant, facts, JSON.stringify(steps)]);
}

/** Moves a variant's virtual clock past what a scenario wrote (never back). */
export async function advanceClock(client: pg.ClientBase, variant: string, virtualNowMs: number): Promise<void> {
  await client.query(`UPDATE ${META_SCHEMA}.clock SET virtual_now = greatest(virtual_now, $2) WHERE variant = $1`, [variant, new Date(virtualNowMs)]);
}

/** A relation loaded: its rows and bytes, and per key range the rows and the sum of their keys. */
export interface LoadMark {
  variant: string;
  relation: string;
  table: string;
  rows: number;
  bytes: number;
  /** [range, rows, key sum] */
  ranges: Array<[number, number, number]>;
}

/** Marks a relation loaded; call in the transaction of its COPY, so the mark commits with the rows. */
export async function markLoaded(client: pg.ClientBase, m: LoadMark): Promise<void> {
  await client.query(`INSERT INTO ${META_SCHEMA}.seed_sinks (variant, relation, table_name, row_count, bytes) VALUES ($1, $2, $3, $4, $5)`, [m.variant, m.relation, m.table, m.rows, m.bytes]);
  await client.query(
    `INSERT INTO ${META_SCHEMA}.seed_ranges (variant, relation, table_name, range, row_count, key_sum)
     SELECT $1, $2, $3, r, n, s FROM unnest($4::int[], $5::bigint[], $6::bigint[]) AS x(r, n, s)`,
    [m.variant, m.relation, m.table, m.ranges.map((x) => x[0]), m.ranges.map((x) => x[1]), m.ranges.map((x) => x[2])],
  );
}

/** The relations of a variant marked loaded, with their rows. */
export async function loadedRelations(client: pg.ClientBase, variant: string): Promise<Map<string, number>> {
  const r = await client.query<{ relation: string; rows: string }>(`SELECT relation, row_count::text AS rows FROM ${META_SCHEMA}.seed_sinks WHERE variant = $1`, [variant]);
  return new Map(r.rows.map((x) => [x.relation, Number(x.rows)]));
}

/** The rows marked loaded for one relation (undefined when it is not marked). */
export async function loadedRows(client: pg.ClientBase, variant: string, relation: string): Promise<number | undefined> {
  const r = await client.query<{ rows: string }>(`SELECT row_count::text AS rows FROM ${META_SCHEMA}.seed_sinks WHERE variant = $1 AND relation = $2`, [variant, relation]);
  return r.rowCount ? Number(r.rows[0].rows) : undefined;
}

/** Rows and COPY bytes loaded per table of a variant. */
export async function loadedByTable(client: pg.ClientBase, variant: string): Promise<Array<{ table: string; rows: number; bytes: number }>> {
  const r = await client.query<{ table_name: string; rows: string; bytes: string }>(`SELECT table_name, sum(row_count)::text AS rows, sum(bytes)::text AS bytes FROM ${META_SCHEMA}.seed_sinks WHERE variant = $1 GROUP BY 1`, [variant]);
  return r.rows.map((x) => ({ table: x.table_name, rows: Number(x.rows), bytes: Number(x.bytes) }));
}

/** The per-range counts recorded while loading a variant: relation -> range -> [rows, key sum]. */
export async function loadedRanges(client: pg.ClientBase, variant: string): Promise<Map<string, Map<number, [number, number]>>> {
  const r = await client.query<{ relation: string; range: number; rows: string; key_sum: string }>(`SELECT relation, range, row_count::text AS rows, key_sum::text FROM ${META_SCHEMA}.seed_ranges WHERE variant = $1`, [variant]);
  const out = new Map<string, Map<number, [number, number]>>();
  for (const x of r.rows) {
    if (!out.has(x.relation)) out.set(x.relation, new Map());
    out.get(x.relation)!.set(x.range, [Number(x.rows), Number(x.key_sum)]);
  }
  return out;
}

/** The loaded relations of a variant that are UNLOGGED in its schema, with the rows marked. */
export async function unloggedLoaded(client: pg.ClientBase, variant: string, schema: string): Promise<Array<{ relation: string; rows: number }>> {
  const r = await client.query<{ relation: string; rows: string }>(
    `SELECT m.relation, m.row_count::text AS rows
       FROM ${META_SCHEMA}.seed_sinks m
       JOIN pg_class c ON c.relname = m.relation AND c.relnamespace = to_regnamespace($2) AND c.relpersistence = 'u'
      WHERE m.variant = $1`,
    [variant, schema],
  );
  return r.rows.map((x) => ({ relation: x.relation, rows: Number(x.rows) }));
}

/** Forgets a relation's load marks (in the caller's transaction, with the rows they stood for). */
export async function forgetLoaded(client: pg.ClientBase, variant: string, relation: string): Promise<void> {
  await client.query(`DELETE FROM ${META_SCHEMA}.seed_sinks WHERE variant = $1 AND relation = $2`, [variant, relation]);
  await client.query(`DELETE FROM ${META_SCHEMA}.seed_ranges WHERE variant = $1 AND relation = $2`, [variant, relation]);
}

/** Whether a variant holds a partial seed made by an older chatbench (chunk marks, none per relation). */
export async function oldPartialSeed(client: pg.ClientBase, variant: string): Promise<boolean> {
  const old = await client.query(`SELECT to_regclass('${META_SCHEMA}.seed_chunks') IS NOT NULL AS old`);
  if (!old.rows[0].old) return false;
  const n = await client.query(`SELECT (SELECT count(*) FROM ${META_SCHEMA}.seed_chunks WHERE variant = $1) AS chunks, (SELECT count(*) FROM ${META_SCHEMA}.seed_sinks WHERE variant = $1) AS sinks`, [variant]);
  return Number(n.rows[0].chunks) > 0 && Number(n.rows[0].sinks) === 0;
}

/** Marks of the post-load tasks already done, by variant: key -> detail. */
export async function doneTasks(client: pg.ClientBase, variants: string[]): Promise<Map<string, Map<string, string | null>>> {
  const r = await client.query<{ variant: string; task: string; detail: string | null }>(`SELECT variant, task, detail FROM ${META_SCHEMA}.seed_tasks WHERE variant = ANY($1)`, [variants]);
  const out = new Map<string, Map<string, string | null>>(variants.map((v) => [v, new Map()]));
  for (const row of r.rows) out.get(row.variant)!.set(row.task, row.detail);
  return out;
}

/**
 * The statement that marks a task done, as text with escaped literals: the task runner sends it in
 * the round trip of the task's COMMIT.
 */
export function taskMarkSql(variant: string, task: string, ms: number, detail: string | undefined): string {
  return `INSERT INTO ${META_SCHEMA}.seed_tasks (variant, task, ms, detail) VALUES (${pg.escapeLiteral(variant)}, ${pg.escapeLiteral(task)}, ${Math.round(ms)}, ${detail === undefined ? 'NULL' : pg.escapeLiteral(detail)})
       ON CONFLICT (variant, task) DO UPDATE SET ms = EXCLUDED.ms, detail = EXCLUDED.detail, done_at = now()`;
}

/** A post-load plan derived before under the same key (undefined if none): the caller knows its shape. */
export async function rememberedPlan(client: pg.ClientBase, key: string): Promise<unknown> {
  const hit = await client.query(`SELECT plan FROM ${META_SCHEMA}.seed_plans WHERE key = $1`, [key]);
  return hit.rowCount ? hit.rows[0].plan : undefined;
}

export async function rememberPlan(client: pg.ClientBase, key: string, plan: unknown): Promise<void> {
  await client.query(`INSERT INTO ${META_SCHEMA}.seed_plans (key, plan) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, JSON.stringify(plan)]);
}
