// The post-load phase of one variant as tasks for the task runner (tasks.ts): early DDL, the
// channel counters (counted while loading; otherwise read from the rows after the keys), one index
// build per table or leaf, the constraints they back, the partitioned statements that attach them,
// ANALYZE, foreign keys added NOT VALID and validated per leaf, the verification, sequences, VACUUM
// where rows were not loaded frozen, and the late DDL.
import pg from 'pg';
import { RuntimeError } from '../errors.ts';
import type { Model } from '../generate/model.ts';
import type { TableName } from '../generate/tables.ts';
import type { TableLayout } from './layout.ts';
import { applyChannelCounts, type ChannelCounts } from './channel-counts.ts';
import { buildKind } from './index-kind.ts';
import type { IndexBuild, PostLoadPlan } from './post-load-plan.ts';
import { relativeBuildCost } from './seed-time.ts';
import type { Task } from './tasks.ts';
import { verifyTasks, type VerifyMode } from './verify.ts';

export interface PostLoadInput {
  variant: string;
  schema: string;
  plan: PostLoadPlan;
  layouts: Map<TableName, TableLayout>;
  model: Model;
  verify: VerifyMode;
  /** Rows of each generated table (the data plan). */
  rows: Record<TableName, number>;
  /** Pages of every table and leaf of the schema (for ordering: largest first). */
  pages: Map<string, number>;
  /** Server facts that change what can be done. */
  server: { versionNum: number; maxParallelMaintenanceWorkers: number };
  /** The channels' counters counted while loading (absent after a resumed load: then read from the rows). */
  channelCounts?: ChannelCounts;
}

/** A build's weight per page of its relation: the time model's cost of its kind (seed-time.ts). */
const buildCost = (b: IndexBuild) => relativeBuildCost(buildKind(b));

/** The step names, in the order the report lists them. */
const POST_LOAD_STEPS = ['ddl', 'indexes', 'constraints', 'attach', 'analyze', 'fk-add', 'foreign-keys', 'fk-parent', 'reconcile', 'sequences', 'verify', 'verify-check', 'checksums', 'vacuum', 'late'] as const;

const id = (s: string) => pg.escapeIdentifier(s);

async function runAll(client: pg.Client, statements: string[]): Promise<string> {
  // One round trip (a failure still names the statement: the server's error carries its position).
  if (statements.length) await client.query(statements.map((x) => x.trim().replace(/;\s*$/, '')).join('\n;\n'));
  return `${statements.length} statement(s)`;
}

export function postLoadTasks(input: PostLoadInput): Task[] {
  const { variant, schema, plan, layouts, server } = input;
  const base = { variant, schema, exclusive: [] as string[], shared: [] as string[] };
  const pagesOf = (rel: string) => Math.max(1, input.pages.get(rel) ?? 1);
  const tasks: Task[] = [];
  const frozen = (t: TableName) => layouts.get(t)?.kind !== 'parent';

  tasks.push({ ...base, key: 'ddl', step: 'ddl', after: [], first: true, weight: 1, run: async ({ client }) => runAll(client, plan.early) });

  for (const b of plan.builds) {
    tasks.push({
      ...base,
      key: `index:${b.index}`,
      step: 'indexes',
      // With --verify full a unique index waits for the verification, which names a chunk loaded twice.
      after: b.unique && input.verify === 'full' ? ['ddl', 'verify-check'] : ['ddl'],
      shared: [b.relation],
      weight: pagesOf(b.relation) * buildCost(b),
      run: async ({ client, tail }) => {
        // Parallel workers only help when a core would otherwise be idle (the last builds).
        try {
          await client.query(`SET LOCAL max_parallel_maintenance_workers = ${tail ? server.maxParallelMaintenanceWorkers : 0}; ${b.createSql}`);
        } catch (e) {
          const err = e as { code?: string; detail?: string };
          if (err.code === '23505') throw new RuntimeError(`${variant}: ${b.relation} holds duplicated rows (${err.detail ?? 'a unique key appears twice'}): a chunk loaded twice? Seed it again with --force`);
          throw e;
        }
        return b.method;
      },
    });
    if (b.constraintSql) {
      tasks.push({ ...base, key: `constraint:${b.index}`, step: 'constraints', after: ['indexes'], exclusive: [b.relation], weight: 1, run: async ({ client }) => (await client.query(b.constraintSql!), undefined) });
    }
  }
  tasks.push({ ...base, key: 'attach', step: 'attach', after: ['indexes', 'constraints'], weight: 1, run: async ({ client }) => runAll(client, plan.attach) });

  // ANALYZE every relation of the schema; VACUUM (ANALYZE) those whose rows were not loaded frozen:
  // a table loaded through its partitioned parent is vacuumed leaf by leaf (the catalog's leaves).
  const maintenance: Array<{ rel: string; vacuum: boolean; parentOnly: boolean; leaves: string[] }> = [];
  for (const l of layouts.values()) {
    if (l.kind === 'parent' && l.partitions?.length) {
      for (const p of l.partitions) maintenance.push({ rel: p, vacuum: true, parentOnly: false, leaves: [] });
      maintenance.push({ rel: l.table, vacuum: false, parentOnly: true, leaves: l.partitions });
    } else {
      for (const leaf of l.leaves) maintenance.push({ rel: leaf.relation, vacuum: !frozen(l.table), parentOnly: false, leaves: [] });
      if (l.kind === 'routed') maintenance.push({ rel: l.table, vacuum: false, parentOnly: true, leaves: l.leaves.map((x) => x.relation) });
    }
  }
  for (const m of maintenance) {
    // A partitioned parent samples its leaves; ONLY (18+) keeps it from analyzing them again, and
    // before 18 it does, so it then waits for no leaf's VACUUM.
    const only = m.parentOnly && server.versionNum >= 180000;
    tasks.push({
      ...base,
      key: `analyze:${m.rel}`,
      step: 'analyze',
      after: ['attach'],
      exclusive: [`maint:${m.rel}`, ...(m.parentOnly && !only ? m.leaves.map((x) => `maint:${x}`) : [])],
      weight: m.parentOnly ? m.leaves.reduce((a, x) => a + pagesOf(x), 0) * 0.01 : pagesOf(m.rel) * (m.vacuum ? 0.5 : 0.05),
      outsideTransaction: m.vacuum,
      run: async ({ client }) => {
        await client.query(m.vacuum ? `VACUUM (ANALYZE) ${id(m.rel)}` : `ANALYZE ${only ? 'ONLY ' : ''}${id(m.rel)}`);
        return m.vacuum ? 'vacuum analyze' : 'analyze';
      },
    });
  }

  const viaNotValid = plan.foreignKeys.filter((f) => f.notValidSql);
  // After the verification: rows lost are reported as such, not as keys that fail to validate.
  tasks.push({ ...base, key: 'fk-add', step: 'fk-add', after: input.verify === 'none' ? ['analyze'] : ['analyze', 'verify-check'], weight: 1, run: async ({ client }) => runAll(client, viaNotValid.map((f) => f.notValidSql!)) });
  for (const f of plan.foreignKeys.filter((x) => !x.notValidSql)) {
    // Validated as it is added (this server cannot add it NOT VALID): one task per key.
    tasks.push({ ...base, key: `fk:${f.constraint}`, step: 'foreign-keys', after: ['fk-add'], exclusive: [`ddl:${f.table}`, `ddl:${f.references}`, `maint:${f.table}`], weight: pagesOf(f.table), run: async ({ client }) => (await client.query(f.sql), 'validated when added') });
  }
  for (const f of viaNotValid) {
    const strategy = probeStrategy(f, input);
    const layout = layouts.get(f.table as TableName);
    const leaves = f.tableKind === 'p' ? (layout?.kind === 'routed' ? layout.leaves.map((l) => l.relation) : (f.leaves ?? [])) : [f.table];
    for (const leaf of leaves) {
      tasks.push({
        ...base,
        key: `validate:${leaf}:${f.constraint}`,
        step: 'foreign-keys',
        after: ['fk-add'],
        exclusive: [`maint:${leaf}`],
        weight: pagesOf(leaf) * (f.referencesKind === 'p' ? 2 : 1),
        run: async ({ client }) => {
          const plan = strategy === 'probes' ? 'SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; ' : strategy === 'merge' ? 'SET LOCAL enable_hashjoin = off; SET LOCAL enable_nestloop = off; ' : '';
          await client.query(`${plan}ALTER TABLE ${id(leaf)} VALIDATE CONSTRAINT ${id(f.constraint)}`);
          return strategy;
        },
      });
    }
    if (f.tableKind === 'p') {
      tasks.push({ ...base, key: `validate:${f.table}:${f.constraint}`, step: 'fk-parent', after: ['foreign-keys'], weight: 1, run: async ({ client }) => (await client.query(`ALTER TABLE ${id(f.table)} VALIDATE CONSTRAINT ${id(f.constraint)}`), undefined) });
    }
  }

  // Counted while loading, the counters are one update of channels: first after the DDL (the
  // checksums wait for it), and before channels' own indexes, which it need not maintain.
  const counted = input.channelCounts;
  tasks.push({
    ...base,
    key: 'reconcile',
    step: 'reconcile',
    ...(counted ? { after: ['ddl'], first: true, exclusive: ['channels'] } : { after: ['fk-add'] }),
    weight: counted ? pagesOf('channels') : pagesOf('messages') + (layouts.get('messages')?.leaves.reduce((a, l) => a + pagesOf(l.relation), 0) ?? 0),
    run: async ({ client }) => {
      // The function says the variant keeps the counters; the counts, when there, spare its scan of messages.
      const has = await client.query(`SELECT to_regprocedure('reconcile_channel_counters()') IS NOT NULL AS ok`);
      if (!has.rows[0].ok) return 'no reconcile_channel_counters() in this variant';
      if (counted) return `${await applyChannelCounts(client, counted)} channels updated, counted while loading`;
      return `${(await client.query('SELECT reconcile_channel_counters() AS n')).rows[0].n} channels updated, read from the rows`;
    },
  });
  tasks.push({ ...base, key: 'sequences', step: 'sequences', after: ['attach'], weight: 1, run: async ({ client }) => (await resetSequences(client), undefined) });
  tasks.push({
    ...base,
    key: 'vacuum:channels',
    step: 'vacuum',
    after: ['reconcile', 'foreign-keys', 'fk-parent'],
    exclusive: ['maint:channels'],
    weight: 1,
    outsideTransaction: true,
    run: async ({ client }) => (await client.query('VACUUM (ANALYZE) channels'), 'after reconcile'),
  });
  tasks.push(...verifyTasks({ variant, schema, layouts, model: input.model, mode: input.verify, pagesOf }));
  tasks.push({ ...base, key: 'late', step: 'late', after: POST_LOAD_STEPS.filter((s) => s !== 'late'), weight: 1, run: async ({ client }) => runAll(client, plan.late) });
  return tasks;
}

/**
 * How a leaf's check against a partitioned table should join. A hash join reads the whole
 * referenced table for every leaf; a merge join over the key indexes reads it from its start up to
 * the leaf's last key (on average half of it per leaf); index probes with run-time pruning touch one
 * partition per row but cost about 15 times a merged row. Merge while (leaves + 1) / 2 * referenced
 * rows < 15 * referencing rows (monthly reactions), else probes (weekly; edits, attachments).
 */
export function probeStrategy(f: { referencesKind: string; table: string; references: string; leaves: string[] }, input: Pick<PostLoadInput, 'rows' | 'layouts'>): 'planner' | 'merge' | 'probes' {
  if (f.referencesKind !== 'p') return 'planner';
  const referenced = input.rows[f.references as TableName];
  const referencing = input.rows[f.table as TableName];
  const leaves = input.layouts.get(f.table as TableName)?.leaves.filter((l) => !l.isDefault).length ?? Math.max(1, f.leaves.length);
  if (referenced === undefined || referencing === undefined) return 'probes';
  return ((leaves + 1) / 2) * referenced < 15 * referencing ? 'merge' : 'probes';
}

/** Identity sequences continue after the loaded ids, so the application's inserts do not collide. */
async function resetSequences(client: pg.ClientBase): Promise<void> {
  const r = await client.query(
    `SELECT c.relname AS table, a.attname AS column
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attidentity <> ''`,
  );
  for (const row of r.rows) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), (SELECT coalesce(max(${id(row.column)}), 0) + 1 FROM ${id(row.table)}), false)`, [id(row.table), row.column]);
  }
}
