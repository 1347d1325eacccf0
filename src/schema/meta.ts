// chatbench's bookkeeping schema, `chatbench`, in the target database: which variants are applied
// (and how far), what was seeded into each, and the committed chunks that make a seed resumable.
// It is created with the first variant and dropped with the last, so a revert leaves nothing.
import type pg from 'pg';
import { RuntimeError } from '../errors.ts';

export const META_SCHEMA = 'chatbench';
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

export interface AppliedVariant {
  variant: string;
  schema: string;
  definitionHash: string;
  applied: string[];
  phase: 'pre-load' | 'post-load';
  appliedAt: Date;
}

export async function lockDdl(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK_KEY]);
}

/** Creates the bookkeeping schema if needed; call inside a transaction after lockDdl(). */
export async function ensureMeta(client: pg.ClientBase): Promise<void> {
  if ((await metaOwner(client)) === 'someone else') {
    throw new RuntimeError(`this database has a schema named ${META_SCHEMA} that chatbench did not create: chatbench keeps its bookkeeping there, so it stops rather than write into it; rename that schema or point --db at another database`);
  }
  await client.query(META_DDL);
}

/** Whether a schema named like chatbench's bookkeeping exists, and whose it is (by its comment). */
async function metaOwner(client: pg.ClientBase): Promise<'none' | 'chatbench' | 'someone else'> {
  const r = await client.query(`SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`, [META_SCHEMA]);
  if (!r.rowCount) return 'none';
  return String(r.rows[0].comment ?? '').startsWith(META_MARK) ? 'chatbench' : 'someone else';
}

export async function metaExists(client: pg.ClientBase): Promise<boolean> {
  // Someone else's schema of that name holds no bookkeeping of ours, whatever its tables are called.
  if ((await metaOwner(client)) !== 'chatbench') return false;
  const r = await client.query(`SELECT to_regclass('${META_SCHEMA}.variants') IS NOT NULL AS ok`);
  return r.rows[0].ok as boolean;
}

export async function appliedVariants(client: pg.ClientBase): Promise<AppliedVariant[]> {
  if (!(await metaExists(client))) return [];
  const r = await client.query(
    `SELECT variant, schema_name, definition_hash, applied, phase, applied_at FROM ${META_SCHEMA}.variants ORDER BY variant`,
  );
  return r.rows.map((row) => ({
    variant: row.variant,
    schema: row.schema_name,
    definitionHash: row.definition_hash,
    applied: row.applied,
    phase: row.phase,
    appliedAt: row.applied_at,
  }));
}

export async function appliedVariant(client: pg.ClientBase, name: string): Promise<AppliedVariant | undefined> {
  return (await appliedVariants(client)).find((v) => v.variant === name);
}

/** Drops the bookkeeping schema once no variant is left in it. */
export async function dropMetaIfEmpty(client: pg.ClientBase): Promise<void> {
  if (!(await metaExists(client))) return;
  const r = await client.query(`SELECT count(*)::int AS n FROM ${META_SCHEMA}.variants`);
  if (r.rows[0].n === 0) await client.query(`DROP SCHEMA ${META_SCHEMA} CASCADE`);
}

/** What chatbench recorded about a variant's seed (the plan is the seed's DataPlan, as JSON). */
export interface SeedRecord {
  variant: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  plan: any;
  status: 'loading' | 'complete';
  steps: Array<{ name: string; ms: number; detail?: string }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  facts: any;
  /** The virtual time scenarios have written up to (null before any scenario). */
  virtualNow: string | null;
}

/** The seed records of every variant (or of those named), by variant; empty before any seed. */
export async function seedRecords(client: pg.ClientBase, variants?: string[]): Promise<Map<string, SeedRecord>> {
  if (!(await metaExists(client))) return new Map();
  const r = await client.query(
    `SELECT s.variant, s.plan, s.status, s.steps, s.facts, c.virtual_now
       FROM ${META_SCHEMA}.seeds s LEFT JOIN ${META_SCHEMA}.clock c USING (variant)
      WHERE $1::text[] IS NULL OR s.variant = ANY($1)`,
    [variants ?? null],
  );
  return new Map(
    r.rows.map((x) => [x.variant as string, { variant: x.variant, plan: x.plan, status: x.status, steps: x.steps ?? [], facts: x.facts, virtualNow: x.virtual_now }]),
  );
}
