// The schema audit: the rules a PostgreSQL reviewer applies to a chat schema, checked against the
// catalog and the planner of the applied schema (never by reading SQL text, except for OFFSET).
import pg from 'pg';
import { setSchemaPath } from './apply.ts';

export type Rule =
  | 'fk-index'
  | 'timestamptz'
  | 'created-at'
  | 'updated-at-trigger'
  | 'check-constraints'
  | 'soft-delete-filter'
  | 'keyset-pagination'
  | 'index-scan'
  | 'partial-index-use'
  | 'partition-coverage'
  | 'partition-pruning';

export const RULES: Record<Rule, string> = {
  'fk-index': 'every foreign key has an index whose leading columns are the key columns',
  timestamptz: 'no timestamp without time zone column',
  'created-at': 'every table has created_at timestamptz NOT NULL',
  'updated-at-trigger': 'every table with updated_at has a BEFORE UPDATE trigger that sets it',
  'check-constraints': 'content, type and pair CHECK constraints are present',
  'soft-delete-filter': 'every scenario query that reads messages filters deleted_at IS NULL (in its conditions, or through a partial index\'s WHERE)',
  'keyset-pagination': 'scenario queries paginate by keyset, never OFFSET',
  'index-scan': 'channel-history and time-range queries can use an index',
  'partial-index-use': 'every partial index that leaves soft-deleted messages out is used by some scenario query',
  'partition-coverage': 'range partitions cover the whole seeded time range (by time or by its ids), hash partitions every remainder, and no row fell into a default partition',
  'partition-pruning': 'a query bounded by the partition key (a day, the ids of a day, one channel) scans one partition',
};

export interface Finding {
  rule: Rule;
  table: string;
  column?: string;
  message: string;
  fix: string;
}

/** A query to audit, from a scenario: its SQL, whether it reads messages, and whether it must use an index. */
export interface AuditQuery {
  name: string;
  sql: string;
  readsMessages: boolean;
  expectIndex: boolean;
}

export interface AuditOptions {
  /** The data's time range (seeded range, or the default one for an empty schema). */
  range?: { fromMs: number; toMs: number };
  /** Whether the schema holds seeded data (if not, plans are made with enable_seqscan off). */
  seeded: boolean;
  queries: AuditQuery[];
}

export interface AuditResult {
  schema: string;
  findings: Finding[];
  checked: Record<Rule, number>;
  /** Rules this server could not check, and why (e.g. a feature its version lacks). */
  skipped: string[];
}

/** A plan node of EXPLAIN (FORMAT JSON). */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Filter?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/**
 * What the rules read, gathered once from the catalog and the planner (inside the caller's
 * transaction): plain data, so every rule is a pure function and a snapshot is a test fixture.
 */
export interface CatalogSnapshot {
  seeded: boolean;
  /** The data's time range, when the schema has one (seeded, or the default one for an empty schema). */
  range?: { fromMs: number; toMs: number };
  serverMajor: number;
  /** EXPLAIN (GENERIC_PLAN) exists (PostgreSQL 16 and later): plans of parameterised statements. */
  canExplainGeneric: boolean;
  foreignKeys: Array<{ table: string; name: string; cols: string[]; has_index: boolean }>;
  tables: Array<{ table: string; cols: Record<string, { type: string; notnull: boolean }> | null; updated_trigger: boolean }>;
  checks: Array<{ table: string; def: string }>;
  /** relkind of messages ('r', 'p'), absent when the schema has no messages table. */
  messagesKind?: string;
  /** messages and its partitions, with their size in pages. */
  messageRelations: Array<{ name: string; pages: number }>;
  /** Partial indexes' predicates, by index name. */
  predicates: Record<string, string>;
  /** The scenario queries, with their generic plan where one could be made. */
  queries: Array<AuditQuery & { plan?: PlanNode }>;
  /** The canonical reads every chat schema must serve from an index, with their plans. */
  canonical: Array<{ name: string; fix: string; plan: PlanNode }>;
  softDeletePartialIndexes: PartialIndex[];
  partitions: PartitionRow[];
  /** Default partitions that hold rows. */
  strayDefaults: string[];
  /** A query bounded by messages' partition key, and its plan (partitioned messages with a range only). */
  pruning?: { what: string; fix: string; plan: PlanNode };
}

/** What a rule found, and how many things it checked. */
interface RuleOutcome {
  checked: number;
  findings: Finding[];
  /** Why it could not check (and checked nothing). */
  skipped?: string;
}

type RuleCheck = (c: CatalogSnapshot) => RuleOutcome;

// ---- the rules: one row each; adding a rule is adding a row (and its Rule name above) ----------

const fkIndex: RuleCheck = (c) => ({
  checked: c.foreignKeys.length,
  findings: c.foreignKeys
    .filter((fk) => !fk.has_index)
    .map((fk) => ({
      rule: 'fk-index',
      table: fk.table,
      column: fk.cols.join(', '),
      message: `foreign key ${fk.name} has no index starting with (${fk.cols.join(', ')}): deletes of the referenced rows and joins scan ${fk.table}`,
      fix: `CREATE INDEX ON ${fk.table} (${fk.cols.join(', ')});`,
    })),
});

const timestamptz: RuleCheck = (c) => {
  const cols = c.tables.flatMap((t) => Object.entries(t.cols ?? {}).map(([col, info]) => ({ table: t.table, col, info })));
  return {
    checked: cols.length,
    findings: cols
      .filter(({ info }) => info.type.startsWith('timestamp') && info.type.includes('without time zone'))
      .map(({ table, col, info }) => ({
        rule: 'timestamptz',
        table,
        column: col,
        message: `${table}.${col} is ${info.type}: it stores wall-clock time with no zone, so users in other zones see wrong times`,
        fix: `ALTER TABLE ${table} ALTER COLUMN ${col} TYPE timestamptz USING ${col} AT TIME ZONE 'UTC';`,
      })),
  };
};

const createdAt: RuleCheck = (c) => ({
  checked: c.tables.length,
  findings: c.tables.flatMap((t): Finding[] => {
    const created = t.cols?.created_at;
    if (created && created.type === 'timestamp with time zone' && created.notnull) return [];
    return [{
      rule: 'created-at',
      table: t.table,
      column: 'created_at',
      message: created ? `${t.table}.created_at is ${created.type}${created.notnull ? '' : ' and nullable'}` : `${t.table} has no created_at column`,
      fix: created
        ? `ALTER TABLE ${t.table} ALTER COLUMN created_at TYPE timestamptz, ALTER COLUMN created_at SET NOT NULL;`
        : `ALTER TABLE ${t.table} ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();`,
    }];
  }),
});

const updatedAtTrigger: RuleCheck = (c) => {
  const withUpdatedAt = c.tables.filter((t) => t.cols?.updated_at);
  return {
    checked: withUpdatedAt.length,
    findings: withUpdatedAt
      .filter((t) => !t.updated_trigger)
      .map((t) => ({
        rule: 'updated-at-trigger',
        table: t.table,
        column: 'updated_at',
        message: `${t.table} has updated_at but no BEFORE UPDATE row trigger that sets it, so it goes stale`,
        fix: `CREATE TRIGGER ${t.table}_updated_at BEFORE UPDATE ON ${t.table} FOR EACH ROW EXECUTE FUNCTION set_updated_at();`,
      })),
  };
};

/** The CHECK constraints the chat schema promises, on whichever of these tables exist. */
const REQUIRED_CHECKS: Array<{ table: string; column: string; pattern: RegExp; what: string; fix: string }> = [
  { table: 'messages', column: 'content', pattern: /char_length\(content\).*4000/, what: 'content length between 1 and 4000 (unless attachments)', fix: "ALTER TABLE messages ADD CHECK (char_length(content) BETWEEN 1 AND 4000 OR (content = '' AND attachment_count > 0));" },
  { table: 'channels', column: 'type', pattern: /'text'.*'voice'.*'category'.*'dm'.*'group_dm'/, what: 'channel type in (text, voice, category, dm, group_dm)', fix: "ALTER TABLE channels ADD CHECK (type IN ('text', 'voice', 'category', 'dm', 'group_dm'));" },
  { table: 'friendships', column: 'user_low', pattern: /user_low < user_high/, what: 'pairs stored once with user_low < user_high', fix: 'ALTER TABLE friendships ADD CHECK (user_low < user_high);' },
  { table: 'channel_permission_overwrites', column: 'role_id, user_id', pattern: /num_nonnulls\(role_id, user_id\) = 1/, what: 'exactly one of role_id and user_id', fix: 'ALTER TABLE channel_permission_overwrites ADD CHECK (num_nonnulls(role_id, user_id) = 1);' },
];

const checkConstraints: RuleCheck = (c) => {
  const present = REQUIRED_CHECKS.filter((r) => c.tables.some((t) => t.table === r.table));
  return {
    checked: present.length,
    findings: present
      .filter((r) => !c.checks.some((k) => k.table === r.table && r.pattern.test(k.def)))
      .map((r) => ({ rule: 'check-constraints', table: r.table, column: r.column, message: `${r.table} lacks the CHECK for ${r.what}`, fix: r.fix })),
  };
};

const keysetPagination: RuleCheck = (c) => ({
  checked: c.queries.length,
  findings: c.queries
    .filter((q) => /\bOFFSET\b/i.test(stripSqlLiterals(q.sql)))
    .map((q) => ({ rule: 'keyset-pagination', table: 'messages', message: `${q.name} uses OFFSET: each page re-reads every row before it`, fix: `page by keyset instead: WHERE id < $cursor ORDER BY id DESC LIMIT n (${q.name})` })),
});

/** Scans of messages (or its partitions) in a plan. */
function messageScans(c: CatalogSnapshot, plan: PlanNode): PlanScan[] {
  const names = new Set(c.messageRelations.map((r) => r.name));
  return planScans(plan).filter((s) => names.has(s.relation));
}

/**
 * A sequential scan that matters: on seeded data a scan of an (almost) empty relation, such as an
 * unused partition, is the right plan; on an empty schema every scan counts (seqscan is off there).
 */
function badSeqScan(c: CatalogSnapshot, scans: PlanScan[]): PlanScan | undefined {
  const trivial = new Set(c.seeded ? c.messageRelations.filter((r) => r.pages <= 1).map((r) => r.name) : []);
  return scans.find((s) => s.node === 'Seq Scan' && !trivial.has(s.relation));
}

const NO_GENERIC_PLANS = (c: CatalogSnapshot) => `they read plans through EXPLAIN (GENERIC_PLAN), which needs PostgreSQL 16 or later (this server is ${c.serverMajor})`;

const softDeleteFilter: RuleCheck = (c) => {
  if (!c.canExplainGeneric) return { checked: 0, findings: [], skipped: `soft-delete-filter and index-scan: ${NO_GENERIC_PLANS(c)}` };
  const reads = c.queries.filter((q) => q.readsMessages && q.plan);
  // A scan of a partial index applies its predicate without showing it: its WHERE counts as a filter.
  const conditionsOf = (s: PlanScan) => [s.conditions, s.index ? c.predicates[s.index] : undefined].filter(Boolean).join(' AND ');
  return {
    checked: reads.length,
    findings: reads.flatMap((q): Finding[] => {
      const scans = messageScans(c, q.plan!);
      const unfiltered = scans.filter((s) => !/deleted_at IS NULL/.test(conditionsOf(s)));
      if (scans.length > 0 && unfiltered.length === 0) return [];
      return [{
        rule: 'soft-delete-filter',
        table: 'messages',
        column: 'deleted_at',
        message: scans.length === 0 ? `${q.name} is declared to read messages but its plan scans no messages table` : `${q.name} reads ${unfiltered[0].relation} without filtering deleted_at IS NULL: soft-deleted messages would show`,
        fix: `add "AND deleted_at IS NULL" to ${q.name}`,
      }];
    }),
  };
};

const indexScan: RuleCheck = (c) => {
  if (!c.canExplainGeneric) return { checked: 0, findings: [] }; // said once, by soft-delete-filter
  const scenario = c.queries.filter((q) => q.expectIndex && q.plan).map((q) => ({ name: q.name, seq: badSeqScan(c, messageScans(c, q.plan!)), fix: `index the columns ${q.name} filters on`, canonical: false }));
  const canonical = c.canonical.map((q) => ({ name: q.name, seq: badSeqScan(c, messageScans(c, q.plan)), fix: q.fix, canonical: true }));
  const all = [...scenario, ...canonical];
  return {
    checked: all.length,
    findings: all
      .filter((x) => x.seq)
      .map((x) => ({ rule: 'index-scan', table: x.canonical ? 'messages' : x.seq!.relation, message: x.canonical ? `the ${x.name} query plans a sequential scan of ${x.seq!.relation}` : `${x.name} plans a sequential scan of ${x.seq!.relation}`, fix: x.fix })),
  };
};

// An index that leaves soft-deleted rows out exists for the scenario reads (which all filter them);
// if no plan picks it, its predicate or columns do not fit the queries.
const partialIndexUse: RuleCheck = (c) => {
  if (!c.messagesKind || !c.canExplainGeneric || c.queries.length === 0 || c.softDeletePartialIndexes.length === 0) return { checked: 0, findings: [] };
  if (!c.seeded) return { checked: 0, findings: [], skipped: `partial-index-use: ${c.softDeletePartialIndexes.map((p) => p.name).join(', ')} can be judged on seeded data only (on an empty schema every index costs the planner the same)` };
  const used = new Set(c.queries.flatMap((q) => (q.plan ? planScans(q.plan) : [])).map((s) => s.index).filter((i): i is string => Boolean(i)));
  return {
    checked: c.softDeletePartialIndexes.length,
    findings: c.softDeletePartialIndexes
      .filter((ix) => !used.has(ix.name) && !ix.members.some((m) => used.has(m)))
      .map((ix) => ({
        rule: 'partial-index-use',
        table: 'messages',
        message: `no scenario query plans ${ix.name} (${ix.def.replace(/^.* USING /, 'USING ')}): its predicate is not implied by their filters, or another index serves them better`,
        fix: `match its WHERE and columns to the queries' filters, or DROP INDEX ${ix.name};`,
      })),
  };
};

const partitionCoverage: RuleCheck = (c) => {
  if (c.messagesKind !== 'p' || !c.range) return { checked: 0, findings: [] };
  const parents = [...new Set(c.partitions.map((r) => r.parent))].sort();
  const findings: Finding[] = [];
  for (const parent of parents) {
    const rows = c.partitions.filter((r) => r.parent === parent);
    const gap = rows[0].strategy === 'h' ? hashGap(rows) : rangeGap(rows, c.range);
    if (gap) findings.push({ rule: 'partition-coverage', table: parent, ...gap });
    const dflt = rows.find((r) => r.bound === 'DEFAULT');
    if (dflt && c.strayDefaults.includes(dflt.child)) {
      findings.push({ rule: 'partition-coverage', table: dflt.child, message: `${dflt.child} holds rows: their period has no partition`, fix: 'create the missing partitions, then move the rows out of the default partition' });
    }
  }
  return { checked: parents.length, findings };
};

// A query bounded by the partition key must touch exactly one messages partition: one day inside
// the first period (as times, or as the ids of that day), or one channel.
const partitionPruning: RuleCheck = (c) => {
  if (!c.pruning) return { checked: 0, findings: [] };
  const touched = new Set(planScans(c.pruning.plan).map((s) => s.relation).filter((r) => r.startsWith('messages')));
  if (touched.size === 1) return { checked: 1, findings: [] };
  return {
    checked: 1,
    findings: [{ rule: 'partition-pruning', table: 'messages', message: `${c.pruning.what} query scans ${touched.size} messages partitions (${[...touched].slice(0, 4).join(', ')}${touched.size > 4 ? ', ...' : ''}); expected 1`, fix: c.pruning.fix }],
  };
};

/** The audit: every rule, in the order findings are reported. */
export const AUDIT_RULES: ReadonlyArray<{ rule: Rule; check: RuleCheck }> = [
  { rule: 'fk-index', check: fkIndex },
  { rule: 'timestamptz', check: timestamptz },
  { rule: 'created-at', check: createdAt },
  { rule: 'updated-at-trigger', check: updatedAtTrigger },
  { rule: 'check-constraints', check: checkConstraints },
  { rule: 'keyset-pagination', check: keysetPagination },
  { rule: 'soft-delete-filter', check: softDeleteFilter },
  { rule: 'index-scan', check: indexScan },
  { rule: 'partial-index-use', check: partialIndexUse },
  { rule: 'partition-coverage', check: partitionCoverage },
  { rule: 'partition-pruning', check: partitionPruning },
];

/** Runs the rules on a snapshot: no I/O, so each rule is tested on snapshots (audit.test.ts). */
export function auditSnapshot(c: CatalogSnapshot, schema: string): AuditResult {
  const checked = Object.fromEntries(Object.keys(RULES).map((r) => [r, 0])) as Record<Rule, number>;
  const findings: Finding[] = [];
  const skipped: string[] = [];
  for (const { rule, check } of AUDIT_RULES) {
    const out = check(c);
    checked[rule] += out.checked;
    findings.push(...out.findings);
    if (out.skipped) skipped.push(out.skipped);
  }
  return { schema, findings, checked, skipped };
}

/** Audits one schema. Runs inside the caller's transaction and changes nothing but local settings. */
export async function auditSchema(client: pg.ClientBase, schema: string, opts: AuditOptions): Promise<AuditResult> {
  return auditSnapshot(await catalogSnapshot(client, schema, opts), schema);
}

type Q = <T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;

/** Reads everything the rules need: the catalog of `schema`, and the plans of the audited queries. */
export async function catalogSnapshot(client: pg.ClientBase, schema: string, opts: AuditOptions): Promise<CatalogSnapshot> {
  const q: Q = async (sql, params = []) => (await client.query(sql, params)).rows;
  await setSchemaPath(client, schema);
  if (!opts.seeded) await client.query('SET LOCAL enable_seqscan = off');
  const versionNum = Number((await q<{ v: string }>("SELECT current_setting('server_version_num') AS v"))[0].v);
  const canExplainGeneric = versionNum >= 160000;
  const foreignKeys = await q<CatalogSnapshot['foreignKeys'][number]>(
    `SELECT c.relname AS table, con.conname AS name,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS cols,
            EXISTS (SELECT 1 FROM pg_index i
                     WHERE i.indrelid = con.conrelid AND i.indpred IS NULL
                       AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
                       AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey) AS has_index
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND con.contype = 'f' AND NOT c.relispartition AND con.conparentid = 0
      ORDER BY 1, 2`,
    [schema],
  );
  const tables = await q<CatalogSnapshot['tables'][number]>(
    `SELECT c.relname AS table,
            (SELECT jsonb_object_agg(a.attname, jsonb_build_object('type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull))
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS cols,
            EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                     WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
                       AND (t.tgtype & 2) = 2 AND (t.tgtype & 16) = 16 AND (t.tgtype & 1) = 1
                       AND p.prosrc ~* 'updated_at\\s*:?=') AS updated_trigger
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY 1`,
    [schema],
  );
  const checks = await q<{ table: string; def: string }>(
    `SELECT c.relname AS table, pg_get_constraintdef(con.oid) AS def
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND con.contype = 'c' AND NOT c.relispartition`,
    [schema],
  );
  const messagesKind = (await q<{ kind: string }>(`SELECT relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname = 'messages'`, [schema]))[0]?.kind;
  const messageRelations = await q<{ name: string; pages: number }>(
    `SELECT c.relname AS name, c.relpages AS pages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND (c.relname = 'messages' OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass($2)))`,
    [schema, `${pg.escapeIdentifier(schema)}.messages`],
  );
  const predicates = Object.fromEntries(
    (await q<{ name: string; pred: string }>(
      `SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS pred
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND i.indpred IS NOT NULL`,
      [schema],
    )).map((r) => [r.name, r.pred]),
  );
  const explainable = Boolean(messagesKind) && canExplainGeneric;
  const queries: CatalogSnapshot['queries'] = [];
  for (const query of opts.queries) {
    queries.push({ ...query, plan: explainable && (query.readsMessages || query.expectIndex) ? await explainGeneric(client, query.sql) : undefined });
  }
  const canonical: CatalogSnapshot['canonical'] = [];
  if (explainable) {
    for (const c of CANONICAL_READS) canonical.push({ ...c, plan: await explainGeneric(client, c.sql) });
  }
  const partitions = messagesKind === 'p' && opts.range ? await partitionRows(client, schema) : [];
  const strayDefaults: string[] = [];
  for (const d of partitions.filter((r) => r.bound === 'DEFAULT')) {
    const n = await client.query(`SELECT EXISTS (SELECT 1 FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(d.child)}) AS strays`);
    if (n.rows[0].strays) strayDefaults.push(d.child);
  }
  const pruningQuery = opts.range ? pruningQueryOf(partitions, opts.range) : undefined;
  const pruning = pruningQuery ? { what: pruningQuery.what, fix: pruningQuery.fix, plan: (await client.query(`EXPLAIN (FORMAT JSON) ${pruningQuery.sql}`)).rows[0]['QUERY PLAN'][0].Plan as PlanNode } : undefined;
  return {
    seeded: opts.seeded,
    range: opts.range,
    serverMajor: Math.floor(versionNum / 10000),
    canExplainGeneric,
    foreignKeys,
    tables,
    checks,
    messagesKind,
    messageRelations,
    predicates,
    queries,
    canonical,
    softDeletePartialIndexes: explainable && opts.queries.length > 0 ? await softDeletePartialIndexes(client, schema) : [],
    partitions,
    strayDefaults,
    pruning,
  };
}

/** The reads every chat schema serves from an index, so index-scan holds before any scenario exists. */
const CANONICAL_READS = [
  { name: 'channel history page', sql: 'SELECT id FROM messages WHERE channel_id = $1 AND deleted_at IS NULL AND id < $2 ORDER BY id DESC LIMIT 50', fix: 'CREATE INDEX ON messages (channel_id, id);' },
  // Every read of messages filters soft-deleted rows (soft-delete-filter), so the canonical ones do too.
  { name: 'time range', sql: 'SELECT count(*) FROM messages WHERE created_at >= $1 AND created_at < $2 AND deleted_at IS NULL', fix: 'CREATE INDEX ON messages USING brin (created_at); -- or a B-tree' },
];

/** The query partition-pruning plans: one day of the first period (as times or ids), or one channel. */
export function pruningQueryOf(partitions: PartitionRow[], range: { fromMs: number; toMs: number }): { sql: string; what: string; fix: string } | undefined {
  const messages = partitions.find((r) => r.parent === 'messages');
  if (!messages) return undefined;
  const dayStartMs = range.fromMs + 3_600_000;
  const dayEndMs = Math.min(range.fromMs + 86_400_000, range.toMs);
  const key = pg.escapeIdentifier(messages.keyColumn ?? 'created_at');
  const where =
    messages.strategy === 'h' ? `${key} = 1`
    : isSnowflakeKey(messages) ? `${key} >= ${snowflakeOf(dayStartMs)} AND ${key} < ${snowflakeOf(dayEndMs)}`
    : `${key} >= '${new Date(dayStartMs).toISOString()}' AND ${key} < '${new Date(dayEndMs).toISOString()}'`;
  return {
    sql: `SELECT count(*) FROM messages WHERE ${where}`,
    what: messages.strategy === 'h' ? 'one channel' : isSnowflakeKey(messages) ? 'the ids of one day' : 'a one-day',
    fix: messages.strategy === 'h' ? `partition messages by HASH (${messages.keyColumn}) and filter on it` : `partition messages by RANGE (${messages.keyColumn}) and filter on it`,
  };
}

export interface PartialIndex {
  name: string;
  def: string;
  /** The partitions' indexes that stand for it (a plan names a partition's index). */
  members: string[];
}

/** Partial indexes on messages that leave soft-deleted rows out. */
async function softDeletePartialIndexes(client: pg.ClientBase, schema: string): Promise<PartialIndex[]> {
  const r = await client.query<PartialIndex>(
    `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def,
            ARRAY(SELECT pc.relname::text FROM pg_inherits pi JOIN pg_class pc ON pc.oid = pi.inhrelid WHERE pi.inhparent = i.indexrelid) AS members
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND i.indpred IS NOT NULL
        AND pg_get_expr(i.indpred, i.indrelid) ~ 'deleted_at IS NULL'
      ORDER BY 1`,
    [`${pg.escapeIdentifier(schema)}.messages`],
  );
  return r.rows;
}

export interface PartitionRow {
  parent: string;
  child: string;
  bound: string;
  /** r range, h hash, l list. */
  strategy: string;
  keyColumn: string | null;
  keyType: string | null;
  /** A range's bounds as written (ids), and as epoch ms when they are times (cast by the server). */
  lo: string | null;
  hi: string | null;
  loMs: number | null;
  hiMs: number | null;
}

/**
 * Partitions as chatbench lays them out: ranges of time (timestamptz bounds), ranges of snowflake
 * ids (bigint bounds: the first id of an instant), and hash partitions (every remainder present).
 */
async function partitionRows(client: pg.ClientBase, schema: string): Promise<PartitionRow[]> {
  const parts = await client.query<PartitionRow>(
    `SELECT x.*,
            CASE WHEN x."keyType" = 'timestamp with time zone' THEN extract(epoch FROM x.lo::timestamptz) * 1000 END AS "loMs",
            CASE WHEN x."keyType" = 'timestamp with time zone' THEN extract(epoch FROM x.hi::timestamptz) * 1000 END AS "hiMs"
       FROM (SELECT p.relname AS parent, c.relname AS child, pg_get_expr(c.relpartbound, c.oid) AS bound,
                    pt.partstrat AS strategy, a.attname AS "keyColumn", format_type(a.atttypid, a.atttypmod) AS "keyType",
                    (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''?([^'')]+)''?\\)'))[1] AS lo,
                    (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''?([^'')]+)''?\\)'))[1] AS hi
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
               JOIN pg_namespace n ON n.oid = p.relnamespace
               JOIN pg_partitioned_table pt ON pt.partrelid = p.oid
               LEFT JOIN pg_attribute a ON a.attrelid = p.oid AND a.attnum = pt.partattrs[0]
              WHERE n.nspname = $1 AND p.relkind = 'p') x`,
    [schema],
  );
  return parts.rows;
}

/** Snowflake ids in chatbench's layout: milliseconds since 2020-01-01 UTC, times 4096. */
const SNOWFLAKE_EPOCH_MS = Date.UTC(2020, 0, 1);
function snowflakeOf(ms: number): bigint {
  return BigInt(Math.ceil(ms) - SNOWFLAKE_EPOCH_MS) * 4096n;
}
function msOfSnowflake(id: bigint): number {
  return Number(id / 4096n) + SNOWFLAKE_EPOCH_MS;
}

/** A range partition key of bigint ids (bounded by snowflakes), rather than of time. */
function isSnowflakeKey(r: PartitionRow): boolean {
  return r.strategy === 'r' && r.keyType === 'bigint';
}

/** The first instant of the data's range that no range partition covers, if any. */
function rangeGap(rows: PartitionRow[], range: { fromMs: number; toMs: number }): Omit<Finding, 'rule' | 'table'> | undefined {
  const ids = isSnowflakeKey(rows[0]);
  const bounds = rows
    .filter((r) => r.lo !== null && r.hi !== null && r.lo !== 'MINVALUE' && r.hi !== 'MAXVALUE')
    .map((r) => (ids ? { lo: msOfSnowflake(BigInt(r.lo!)), hi: msOfSnowflake(BigInt(r.hi!)) } : { lo: Number(r.loMs), hi: Number(r.hiMs) }))
    .sort((a, b) => a.lo - b.lo);
  // Walk the range: each instant in [from, to) must fall in some partition.
  let cursor = range.fromMs;
  for (const p of bounds) {
    if (p.lo <= cursor && p.hi > cursor) cursor = p.hi;
  }
  if (cursor >= range.toMs) return undefined;
  return {
    message: `${rows[0].parent} has no partition for ${new Date(cursor).toISOString()}${ids ? ` (id ${snowflakeOf(cursor)})` : ''} (data runs to ${new Date(range.toMs).toISOString()})`,
    fix: `SELECT create_message_partitions('${new Date(cursor).toISOString()}', '${new Date(range.toMs).toISOString()}');`,
  };
}

/** Hash partitions: one per remainder of a single modulus, none missing. */
function hashGap(rows: PartitionRow[]): Omit<Finding, 'rule' | 'table'> | undefined {
  const parsed = rows.map((r) => /modulus (\d+), remainder (\d+)/.exec(r.bound)).filter((m): m is RegExpExecArray => m !== null);
  const moduli = new Set(parsed.map((m) => Number(m[1])));
  const modulus = Math.max(...moduli);
  const have = new Set(parsed.filter((m) => Number(m[1]) === modulus).map((m) => Number(m[2])));
  const missing = Array.from({ length: modulus }, (_, k) => k).filter((k) => !have.has(k));
  if (moduli.size === 1 && missing.length === 0) return undefined;
  return {
    message: `${rows[0].parent} has hash partitions ${moduli.size > 1 ? `of moduli ${[...moduli].join(', ')}` : `missing remainders ${missing.join(', ')} of ${modulus}`}: rows hashing there have no partition`,
    fix: `CREATE TABLE ${rows[0].parent}_hNN PARTITION OF ${rows[0].parent} FOR VALUES WITH (MODULUS ${modulus}, REMAINDER ${missing[0] ?? 0});`,
  };
}

export interface PlanScan {
  node: string;
  relation: string;
  conditions: string;
  /** The index an index, index-only or bitmap scan reads. */
  index?: string;
}

/** Every scan node of a plan with the conditions it applies (its own and its bitmap children's). */
function planScans(node: PlanNode): PlanScan[] {
  const out: PlanScan[] = [];
  const walk = (n: PlanNode) => {
    if (n['Relation Name']) {
      const conds = [n.Filter, n['Index Cond'], n['Recheck Cond']].filter(Boolean).join(' AND ');
      const bitmapIndex = (n.Plans ?? []).find((c) => c['Node Type'] === 'Bitmap Index Scan')?.['Index Name'];
      out.push({ node: n['Node Type'], relation: n['Relation Name'], conditions: conds, index: n['Index Name'] ?? bitmapIndex });
    }
    for (const child of n.Plans ?? []) walk(child);
  };
  walk(node);
  return out;
}

async function explainGeneric(client: pg.ClientBase, sql: string): Promise<PlanNode> {
  const r = await client.query(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${sql}`);
  return r.rows[0]['QUERY PLAN'][0].Plan as PlanNode;
}

/** SQL with comments, string literals and quoted identifiers blanked, for keyword checks. */
function stripSqlLiterals(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
}
