// Applies and reverts variants, each phase in one transaction: a variant is never half-applied.
// A variant lives in its own schema, marked as chatbench's; nothing chatbench did not create is
// ever dropped (revert runs the down migrations, then drops the schema only if it is then empty).
import pg from 'pg';
import { RuntimeError, UsageError } from '../errors.ts';
import { toDatabaseError } from '../db/sqlstate.ts';
import { splitStatements } from './split.ts';
import { appliedVariant, bookkeepingPresent, ensureMeta, forgetVariant, lockDdl, recordPhase } from './bookkeeping.ts';
import { rangeUnit, type Phase, type Variant } from './variants.ts';

const SCHEMA_MARK = 'chatbench variant';

export interface PartitionRange {
  fromMs: number;
  toMs: number;
}

export interface MigrationTiming {
  name: string;
  ms: number;
}

async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

export async function setSchemaPath(client: pg.ClientBase, schema: string, local = true): Promise<void> {
  await client.query(`SET ${local ? 'LOCAL ' : ''}search_path TO ${pg.escapeIdentifier(schema)}, public`);
}


async function schemaComment(client: pg.ClientBase, schema: string): Promise<string | null | undefined> {
  const r = await client.query(
    `SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`,
    [schema],
  );
  return r.rowCount ? (r.rows[0].comment as string | null) : undefined;
}

/** Refuses to touch a schema of that name that chatbench did not create. */
async function assertOurs(client: pg.ClientBase, variant: Variant): Promise<boolean> {
  const comment = await schemaComment(client, variant.schema);
  if (comment === undefined) return false;
  if (!comment?.startsWith(SCHEMA_MARK)) {
    throw new RuntimeError(`schema ${variant.schema} exists and was not created by chatbench: it is left alone; rename or drop it yourself to use variant ${variant.name} here`);
  }
  return true;
}

/**
 * Runs a migration statement by statement (in the caller's transaction), so a failure names the
 * file, the statement's line and text, and the server's error. Lines count in the rendered file.
 */
async function runFile(client: pg.ClientBase, sql: string, file: string): Promise<void> {
  for (const st of splitStatements(sql)) {
    try {
      await client.query(st.sql);
    } catch (e) {
      const text = st.sql.replace(/\s+/g, ' ');
      throw toDatabaseError(e, `${file}, statement at line ${st.line} (${text.length > 90 ? `${text.slice(0, 90)}...` : text}) failed`);
    }
  }
}

/**
 * Runs a variant's migrations of one phase (or only those named) in the caller's transaction, on
 * the schema search_path points at. A range-partitioned variant gets its partitions for `range`
 * right after 04_retention, which defines create_message_partitions(): without a range it has
 * none, and every row is refused.
 */
export async function runMigrations(client: pg.ClientBase, variant: Variant, phase: Phase, range?: PartitionRange, names?: string[]): Promise<MigrationTiming[]> {
  const timings: MigrationTiming[] = [];
  for (const m of variant.migrations.filter((x) => x.phase === phase && (!names || names.includes(x.name)))) {
    const t0 = performance.now();
    await runFile(client, m.up, m.upFile);
    timings.push({ name: m.name, ms: performance.now() - t0 });
    if (m.name === '04_retention' && rangeUnit(variant) && range) {
      const t1 = performance.now();
      await createPartitions(client, range);
      timings.push({ name: 'partitions', ms: performance.now() - t1 });
    }
  }
  return timings;
}

/** Calls the schema's own partition function (search_path must point at the variant). */
async function createPartitions(client: pg.ClientBase, range: PartitionRange): Promise<number> {
  const r = await client.query('SELECT create_message_partitions($1, $2) AS n', [new Date(range.fromMs), new Date(range.toMs)]);
  return r.rows[0].n as number;
}

/**
 * Applies one phase in one transaction. pre-load creates the schema, tables and (partitioned
 * variants) the partitions for `range`; post-load adds keys, indexes, foreign keys and triggers.
 */
export async function applyPhase(client: pg.ClientBase, variant: Variant, phase: Phase, range?: PartitionRange): Promise<MigrationTiming[]> {
  return inTransaction(client, () => applyPhaseInTransaction(client, variant, phase, range));
}

/** `schema apply`: both phases in a single transaction, on an empty schema (no load in between). */
export async function applyVariant(client: pg.ClientBase, variant: Variant, range?: PartitionRange): Promise<MigrationTiming[]> {
  return inTransaction(client, async () => [
    ...(await applyPhaseInTransaction(client, variant, 'pre-load', range)),
    ...(await applyPhaseInTransaction(client, variant, 'post-load', range)),
  ]);
}

async function applyPhaseInTransaction(client: pg.ClientBase, variant: Variant, phase: Phase, range?: PartitionRange): Promise<MigrationTiming[]> {
  await lockDdl(client);
  const exists = await assertOurs(client, variant);
  if (phase === 'pre-load') {
    if (exists) throw new UsageError(`variant ${variant.name} is already applied (schema ${variant.schema}): revert it first with "schema revert --variant ${variant.name}"`);
    await ensureMeta(client);
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(variant.schema)}`);
    await client.query(`COMMENT ON SCHEMA ${pg.escapeIdentifier(variant.schema)} IS ${pg.escapeLiteral(`${SCHEMA_MARK} ${variant.name}: created by chatbench, removed by "chatbench schema revert --variant ${variant.name}"`)}`);
  } else {
    const state = exists && (await bookkeepingPresent(client)) ? await appliedVariant(client, variant.name) : undefined;
    if (!state || state.phase !== 'pre-load') throw new RuntimeError(`variant ${variant.name} is ${state ? 'already indexed' : 'not created'}: cannot run its post-load phase`);
  }
  await setSchemaPath(client, variant.schema);
  const timings = await runMigrations(client, variant, phase, range);
  await recordPhase(client, variant, phase, variant.migrations.filter((m) => m.phase === phase).map((m) => m.name));
  return timings;
}

/**
 * `schema revert`: runs the applied migrations' down scripts in reverse order, then drops the
 * schema with RESTRICT, so anything someone else added to it makes the revert fail, not vanish.
 */
export async function revertVariant(client: pg.ClientBase, variant: Variant, opts: { force?: boolean } = {}): Promise<{ reverted: boolean }> {
  return inTransaction(client, async () => {
    await lockDdl(client);
    if (!(await assertOurs(client, variant))) return { reverted: false };
    // Read under the DDL lock even when the caller has read it before: another chatbench may have
    // changed the variant in between, and the down migrations must match what is applied now.
    const state = (await bookkeepingPresent(client)) ? await appliedVariant(client, variant.name) : undefined;
    if (!state) throw new RuntimeError(`schema ${variant.schema} is marked as chatbench's but has no bookkeeping entry; drop it yourself after checking it`);
    if (state.definitionHash !== variant.definitionHash) {
      if (!opts.force) {
        throw new RuntimeError(`variant ${variant.name} was applied from an older definition of schemas/ (${state.definitionHash}, now ${variant.definitionHash}), so its down migrations may not match: pass --force to drop schema ${variant.schema} and everything in it`);
      }
      // Asked to: the schema is marked as chatbench's, and the user accepted losing its contents.
      await client.query(`DROP SCHEMA ${pg.escapeIdentifier(variant.schema)} CASCADE`);
      await forgetVariant(client, variant.name);
      return { reverted: true };
    }
    await setSchemaPath(client, variant.schema);
    const applied = new Set(state.applied);
    for (const m of [...variant.migrations].reverse()) {
      if (applied.has(m.name)) await runFile(client, m.down, m.downFile);
    }
    try {
      await client.query(`DROP SCHEMA ${pg.escapeIdentifier(variant.schema)} RESTRICT`);
    } catch (e) {
      const err = e as { code?: string; detail?: string };
      if (err.code === '2BP01') {
        throw new RuntimeError(`schema ${variant.schema} still holds objects chatbench did not create, so it was not dropped: ${String(err.detail ?? '').split('\n').slice(0, 3).join('; ')}`);
      }
      throw e;
    }
    await forgetVariant(client, variant.name);
    return { reverted: true };
  });
}

/**
 * Builds a variant in a throwaway schema inside the caller's open transaction, for auditing a
 * variant that is not applied; the caller rolls the transaction back, leaving nothing.
 */
export async function applyScratch(client: pg.ClientBase, variant: Variant, schema: string, range: PartitionRange, phases: Phase[] = ['pre-load', 'post-load']): Promise<void> {
  await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  await setSchemaPath(client, schema);
  for (const phase of phases) await runMigrations(client, variant, phase, range);
}
