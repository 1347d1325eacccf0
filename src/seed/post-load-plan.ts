// What the post-load phase of a variant builds, learnt from the catalog rather than from SQL text:
// its migrations are run statement by statement on empty tables in a scratch schema (with the same
// partitions), inside a transaction that is rolled back, and each statement is classified by what
// it created. Index statements become one build per table or leaf partition (the partitioned
// statement then only attaches them), foreign keys are added NOT VALID and validated per leaf,
// and everything else (functions, triggers) runs first, or last if it names an index or key.
import pg from 'pg';
import { applyScratch } from '../schema/apply.ts';
import { rememberedPlan, rememberPlan } from '../schema/bookkeeping.ts';
import { splitStatements } from '../schema/split.ts';
import type { Variant } from '../schema/variants.ts';

export interface IndexBuild {
  index: string;
  /** The table or leaf it is built on. */
  relation: string;
  /** CREATE INDEX on the relation, unqualified (runs with the variant's search_path). */
  createSql: string;
  /** ALTER TABLE ... ADD CONSTRAINT ... USING INDEX, when the index backs a primary key or unique constraint. */
  constraintSql?: string;
  method: string;
  unique: boolean;
  /** The partitioned table it belongs to, if it is a leaf's. */
  parent?: string;
}

export interface ForeignKeyAdd {
  constraint: string;
  table: string;
  /** r: plain table, p: partitioned (validated leaf by leaf, then the parent). */
  tableKind: string;
  /** Leaves of a partitioned referencing table. */
  leaves: string[];
  references: string;
  referencesKind: string;
  /** The statement as written, and as NOT VALID (undefined where that cannot be done). */
  sql: string;
  notValidSql?: string;
}

export interface PostLoadPlan {
  early: string[];
  builds: IndexBuild[];
  /** Statements that create partitioned indexes: run after the builds, they attach the leaves' indexes. */
  attach: string[];
  foreignKeys: ForeignKeyAdd[];
  late: string[];
  /** The post-load migrations, recorded as applied once everything ran. */
  migrations: string[];
}

interface CatalogObjects {
  indexes: Map<number, { name: string; kind: string; table: string; tableKind: string; parent: string | null; def: string; method: string; constraint: string | null; contype: string | null; deferrable: boolean; deferred: boolean }>;
  fks: Map<number, { name: string; table: string; tableKind: string; top: boolean; references: string; referencesKind: string }>;
}

/** Oids of the schema's indexes and foreign keys (cheap: taken before and after every statement). */
async function oids(client: pg.ClientBase, schema: string): Promise<{ indexes: Set<number>; fks: Set<number> }> {
  const r = await client.query(
    `SELECT (SELECT coalesce(array_agg(x.indexrelid::int8), '{}') FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid WHERE t.relnamespace = $1::regnamespace) AS i,
            (SELECT coalesce(array_agg(c.oid::int8), '{}') FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = $1::regnamespace) AS f`,
    [schema],
  );
  return { indexes: new Set(r.rows[0].i.map(Number)), fks: new Set(r.rows[0].f.map(Number)) };
}

/** Details of the indexes and foreign keys a statement created. */
async function objects(client: pg.ClientBase, indexOids: number[], fkOids: number[]): Promise<CatalogObjects> {
  const ix = await client.query(
    `SELECT i.oid, i.relname AS name, i.relkind AS kind, t.relname AS table, t.relkind AS table_kind,
            (SELECT p.relname FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent WHERE h.inhrelid = t.oid) AS parent,
            pg_get_indexdef(i.oid) AS def, am.amname AS method,
            con.conname AS constraint, con.contype, coalesce(con.condeferrable, false) AS deferrable, coalesce(con.condeferred, false) AS deferred
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_am am ON am.oid = i.relam
       LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.conrelid = t.oid AND con.contype IN ('p', 'u', 'x')
      WHERE i.oid = ANY($1::oid[])`,
    [indexOids],
  );
  const fk = await client.query(
    `SELECT c.oid, c.conname AS name, t.relname AS table, t.relkind AS table_kind, c.conparentid = 0 AS top,
            r.relname AS references, r.relkind AS references_kind
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
      WHERE c.oid = ANY($1::oid[])`,
    [fkOids],
  );
  return {
    indexes: new Map(ix.rows.map((r) => [Number(r.oid), { name: r.name, kind: r.kind, table: r.table, tableKind: r.table_kind, parent: r.parent, def: r.def, method: r.method, constraint: r.constraint, contype: r.contype, deferrable: r.deferrable, deferred: r.deferred }])),
    fks: new Map(fk.rows.map((r) => [Number(r.oid), { name: r.name, table: r.table, tableKind: r.table_kind, top: r.top, references: r.references, referencesKind: r.references_kind }])),
  };
}


/** `CREATE [UNIQUE] INDEX name ON [ONLY] table USING ...` -> the same on `relation`, unqualified. */
function leafCreate(def: string, index: string, relation: string): string | undefined {
  const m = /^CREATE (UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (USING .*)$/s.exec(def);
  return m ? `CREATE ${m[1] ?? ''}INDEX ${pg.escapeIdentifier(index)} ON ${pg.escapeIdentifier(relation)} ${m[2]}` : undefined;
}

/** Words without which a statement creates no index and no key (a pre-filter; the catalog decides). */
const MAY_CREATE = /\b(INDEX|KEY|UNIQUE|EXCLUDE|REFERENCES|CONSTRAINT|TABLE|PARTITION)\b/i;

/** ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... as NOT VALID, when it is one such action. */
export function notValidForm(sql: string): string | undefined {
  const text = sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/--[^\n]*/g, '').trim().replace(/;\s*$/, '');
  if (!/^ALTER\s+TABLE\s/i.test(text) || !/\bFOREIGN\s+KEY\b/i.test(text) || /\bNOT\s+VALID\b/i.test(text)) return undefined;
  let depth = 0;
  for (const c of text) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) return undefined; // several actions in one statement
  }
  return `${text} NOT VALID`;
}

/**
 * Derives the post-load plan of a variant in a scratch schema (rolled back). `notValidOnPartitioned`:
 * whether the server accepts NOT VALID foreign keys on partitioned tables (PostgreSQL 18 and later).
 */
/** Bump when planPostLoad's output for the same variant could change. */
const PLAN_VERSION = 1;

/**
 * planPostLoad, remembered in the bookkeeping schema for the same variant definition, time range
 * and server version (deriving it takes a second or two; small seeds are run again and again).
 */
export async function cachedPostLoadPlan(client: pg.ClientBase, variant: Variant, range: { fromMs: number; toMs: number }, opts: { notValidOnPartitioned: boolean; serverVersionNum: number }): Promise<PostLoadPlan> {
  const key = [PLAN_VERSION, variant.name, variant.definitionHash, range.fromMs, range.toMs, opts.serverVersionNum, opts.notValidOnPartitioned].join(':');
  const hit = await rememberedPlan(client, key);
  if (hit !== undefined) return hit as PostLoadPlan;
  const plan = await planPostLoad(client, variant, range, opts);
  await rememberPlan(client, key, plan);
  return plan;
}

async function planPostLoad(client: pg.ClientBase, variant: Variant, range: { fromMs: number; toMs: number }, opts: { notValidOnPartitioned: boolean }): Promise<PostLoadPlan> {
  const scratch = `chatbench_plan_${process.pid}`;
  const plan: PostLoadPlan = { early: [], builds: [], attach: [], foreignKeys: [], late: [], migrations: [] };
  const others: string[] = [];
  const named = new Set<string>();
  await client.query('BEGIN');
  try {
    await applyScratch(client, variant, scratch, range, ['pre-load']);
    let previous: { indexes: Set<number>; fks: Set<number> } | undefined;
    for (const m of variant.migrations.filter((x) => x.phase === 'post-load')) {
      plan.migrations.push(m.name);
      for (const st of splitStatements(m.up)) {
        if (!MAY_CREATE.test(st.sql)) {
          // Cannot create an index or a key (none of the words that could): no catalog look.
          await client.query(st.sql);
          others.push(st.sql);
          continue;
        }
        const before = previous ?? (await oids(client, scratch));
        await client.query(st.sql);
        const after = await oids(client, scratch);
        previous = after; // the next statement's starting point
        const newIx = [...after.indexes].filter((o) => !before.indexes.has(o));
        const newFk = [...after.fks].filter((o) => !before.fks.has(o));
        if (!newIx.length && !newFk.length) {
          others.push(st.sql);
          continue;
        }
        const created = await objects(client, newIx, newFk);
        const ix = [...created.indexes.values()];
        const fk = [...created.fks.values()];
        for (const x of ix) named.add(x.name).add(x.constraint ?? x.name);
        for (const x of fk) named.add(x.name);
        const leafIndexes = ix.filter((x) => x.kind === 'i');
        const rebuildable = leafIndexes.every((x) => x.contype !== 'x' && leafCreate(x.def, x.name, x.table));
        if (ix.length && !fk.length && rebuildable) {
          for (const x of leafIndexes) {
            const kind = x.contype === 'p' ? 'PRIMARY KEY' : x.contype === 'u' ? 'UNIQUE' : undefined;
            plan.builds.push({
              index: x.name,
              relation: x.table,
              parent: x.parent ?? undefined,
              method: x.method,
              unique: x.def.startsWith('CREATE UNIQUE'),
              createSql: leafCreate(x.def, x.name, x.table)!,
              constraintSql: kind
                ? `ALTER TABLE ${pg.escapeIdentifier(x.table)} ADD CONSTRAINT ${pg.escapeIdentifier(x.constraint!)} ${kind} USING INDEX ${pg.escapeIdentifier(x.name)}${x.deferrable ? ` DEFERRABLE INITIALLY ${x.deferred ? 'DEFERRED' : 'IMMEDIATE'}` : ''}`
                : undefined,
            });
          }
          if (ix.some((x) => x.kind === 'I')) plan.attach.push(st.sql);
        } else if (fk.length && !ix.length) {
          const top = fk.find((x) => x.top) ?? fk[0];
          const partitioned = top.tableKind === 'p';
          plan.foreignKeys.push({
            constraint: top.name,
            table: top.table,
            tableKind: top.tableKind,
            leaves: fk.filter((x) => x.table !== top.table && x.tableKind === 'r').map((x) => x.table),
            references: top.references,
            referencesKind: top.referencesKind,
            sql: st.sql,
            notValidSql: partitioned && !opts.notValidOnPartitioned ? undefined : notValidForm(st.sql),
          });
        } else {
          plan.late.push(st.sql); // several kinds at once: run it as written, after the rest
        }
      }
    }
  } finally {
    await client.query('ROLLBACK');
  }
  // Statements that name an index or key created above wait for it; the others (functions, triggers) go first.
  for (const sql of others) {
    const mentions = [...named].some((n) => new RegExp(`\\b${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(sql));
    (mentions ? plan.late : plan.early).push(sql);
  }
  return plan;
}
