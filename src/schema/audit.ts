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

type Q = <T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;

/** Audits one schema. Runs inside the caller's transaction and changes nothing but local settings. */
export async function auditSchema(client: pg.ClientBase, schema: string, opts: AuditOptions): Promise<AuditResult> {
  const q: Q = async (sql, params = []) => (await client.query(sql, params)).rows;
  const findings: Finding[] = [];
  const checked = Object.fromEntries(Object.keys(RULES).map((r) => [r, 0])) as Record<Rule, number>;
  await setSchemaPath(client, schema);
  if (!opts.seeded) await client.query('SET LOCAL enable_seqscan = off');
  const skipped: string[] = [];
  // Plans of parameterised statements need EXPLAIN (GENERIC_PLAN), new in PostgreSQL 16.
  const versionNum = Number((await q<{ v: string }>("SELECT current_setting('server_version_num') AS v"))[0].v);
  const canExplainGeneric = versionNum >= 160000;
  if (!canExplainGeneric) skipped.push(`soft-delete-filter and index-scan: they read plans through EXPLAIN (GENERIC_PLAN), which needs PostgreSQL 16 or later (this server is ${Math.floor(versionNum / 10000)})`);

  // fk-index
  const fks = await q<{ table: string; name: string; cols: string[]; has_index: boolean }>(
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
  for (const fk of fks) {
    checked['fk-index']++;
    if (!fk.has_index) {
      findings.push({
        rule: 'fk-index',
        table: fk.table,
        column: fk.cols.join(', '),
        message: `foreign key ${fk.name} has no index starting with (${fk.cols.join(', ')}): deletes of the referenced rows and joins scan ${fk.table}`,
        fix: `CREATE INDEX ON ${fk.table} (${fk.cols.join(', ')});`,
      });
    }
  }

  // timestamptz, created-at, updated-at-trigger
  const tables = await q<{ table: string; persistence: string; cols: Record<string, { type: string; notnull: boolean }>; updated_trigger: boolean }>(
    `SELECT c.relname AS table, c.relpersistence AS persistence,
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
  for (const t of tables) {
    for (const [col, info] of Object.entries(t.cols ?? {})) {
      checked.timestamptz++;
      if (info.type.startsWith('timestamp') && info.type.includes('without time zone')) {
        findings.push({
          rule: 'timestamptz',
          table: t.table,
          column: col,
          message: `${t.table}.${col} is ${info.type}: it stores wall-clock time with no zone, so users in other zones see wrong times`,
          fix: `ALTER TABLE ${t.table} ALTER COLUMN ${col} TYPE timestamptz USING ${col} AT TIME ZONE 'UTC';`,
        });
      }
    }
    checked['created-at']++;
    const created = t.cols?.created_at;
    if (!created || created.type !== 'timestamp with time zone' || !created.notnull) {
      findings.push({
        rule: 'created-at',
        table: t.table,
        column: 'created_at',
        message: created ? `${t.table}.created_at is ${created.type}${created.notnull ? '' : ' and nullable'}` : `${t.table} has no created_at column`,
        fix: created
          ? `ALTER TABLE ${t.table} ALTER COLUMN created_at TYPE timestamptz, ALTER COLUMN created_at SET NOT NULL;`
          : `ALTER TABLE ${t.table} ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();`,
      });
    }
    if (t.cols?.updated_at) {
      checked['updated-at-trigger']++;
      if (!t.updated_trigger) {
        findings.push({
          rule: 'updated-at-trigger',
          table: t.table,
          column: 'updated_at',
          message: `${t.table} has updated_at but no BEFORE UPDATE row trigger that sets it, so it goes stale`,
          fix: `CREATE TRIGGER ${t.table}_updated_at BEFORE UPDATE ON ${t.table} FOR EACH ROW EXECUTE FUNCTION set_updated_at();`,
        });
      }
    }
  }

  // check-constraints: the ones the chat schema promises, on whichever of these tables exist
  const required: Array<{ table: string; column: string; pattern: RegExp; what: string; fix: string }> = [
    { table: 'messages', column: 'content', pattern: /char_length\(content\).*4000/, what: 'content length between 1 and 4000 (unless attachments)', fix: "ALTER TABLE messages ADD CHECK (char_length(content) BETWEEN 1 AND 4000 OR (content = '' AND attachment_count > 0));" },
    { table: 'channels', column: 'type', pattern: /'text'.*'voice'.*'category'.*'dm'.*'group_dm'/, what: 'channel type in (text, voice, category, dm, group_dm)', fix: "ALTER TABLE channels ADD CHECK (type IN ('text', 'voice', 'category', 'dm', 'group_dm'));" },
    { table: 'friendships', column: 'user_low', pattern: /user_low < user_high/, what: 'pairs stored once with user_low < user_high', fix: 'ALTER TABLE friendships ADD CHECK (user_low < user_high);' },
    { table: 'channel_permission_overwrites', column: 'role_id, user_id', pattern: /num_nonnulls\(role_id, user_id\) = 1/, what: 'exactly one of role_id and user_id', fix: 'ALTER TABLE channel_permission_overwrites ADD CHECK (num_nonnulls(role_id, user_id) = 1);' },
  ];
  const checks = await q<{ table: string; def: string }>(
    `SELECT c.relname AS table, pg_get_constraintdef(con.oid) AS def
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND con.contype = 'c' AND NOT c.relispartition`,
    [schema],
  );
  const tableNames = new Set(tables.map((t) => t.table));
  for (const r of required) {
    if (!tableNames.has(r.table)) continue;
    checked['check-constraints']++;
    if (!checks.some((c) => c.table === r.table && r.pattern.test(c.def))) {
      findings.push({ rule: 'check-constraints', table: r.table, column: r.column, message: `${r.table} lacks the CHECK for ${r.what}`, fix: r.fix });
    }
  }

  const messagesKind = (await q<{ kind: string }>(`SELECT relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname = 'messages'`, [schema]))[0]?.kind;
  const messageRelationRows = await q<{ name: string; pages: number }>(
    `SELECT c.relname AS name, c.relpages AS pages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND (c.relname = 'messages' OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass($2)))`,
    [schema, `${pg.escapeIdentifier(schema)}.messages`],
  );
  const messageRelations = new Set(messageRelationRows.map((r) => r.name));
  // On seeded data a sequential scan of an (almost) empty relation, such as an unused default
  // partition, is the right plan; on an empty schema every scan counts (seqscan is disabled there).
  const trivial = new Set(opts.seeded ? messageRelationRows.filter((r) => r.pages <= 1).map((r) => r.name) : []);
  const isBadSeqScan = (s: PlanScan) => s.node === 'Seq Scan' && !trivial.has(s.relation);
  // A scan of a partial index applies the index's predicate without showing it as a condition: a
  // soft-delete filter there is the index's WHERE (btree-partial-covering's indexes).
  const predicates = new Map(
    (await q<{ name: string; pred: string }>(
      `SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS pred
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND i.indpred IS NOT NULL`,
      [schema],
    )).map((r) => [r.name, r.pred]),
  );
  const conditionsOf = (s: PlanScan) => [s.conditions, s.index ? predicates.get(s.index) : undefined].filter(Boolean).join(' AND ');

  // soft-delete-filter, keyset-pagination, index-scan (scenario queries); the indexes their plans use
  const usedIndexes = new Set<string>();
  for (const query of opts.queries) {
    checked['keyset-pagination']++;
    if (/\bOFFSET\b/i.test(stripSqlLiterals(query.sql))) {
      findings.push({ rule: 'keyset-pagination', table: 'messages', message: `${query.name} uses OFFSET: each page re-reads every row before it`, fix: `page by keyset instead: WHERE id < $cursor ORDER BY id DESC LIMIT n (${query.name})` });
    }
    if (!messagesKind || (!query.readsMessages && !query.expectIndex) || !canExplainGeneric) continue;
    const plan = await explainGeneric(client, query.sql);
    for (const s of planScans(plan)) if (s.index) usedIndexes.add(s.index);
    const scans = planScans(plan).filter((s) => messageRelations.has(s.relation));
    if (query.readsMessages) {
      checked['soft-delete-filter']++;
      const unfiltered = scans.filter((s) => !/deleted_at IS NULL/.test(conditionsOf(s)));
      if (scans.length === 0 || unfiltered.length > 0) {
        findings.push({
          rule: 'soft-delete-filter',
          table: 'messages',
          column: 'deleted_at',
          message: scans.length === 0
            ? `${query.name} is declared to read messages but its plan scans no messages table`
            : `${query.name} reads ${unfiltered[0].relation} without filtering deleted_at IS NULL: soft-deleted messages would show`,
          fix: `add "AND deleted_at IS NULL" to ${query.name}`,
        });
      }
    }
    if (query.expectIndex) {
      checked['index-scan']++;
      const seq = scans.find(isBadSeqScan);
      if (seq) findings.push({ rule: 'index-scan', table: seq.relation, message: `${query.name} plans a sequential scan of ${seq.relation}`, fix: `index the columns ${query.name} filters on` });
    }
  }

  // index-scan (canonical queries, so the rule holds before any scenario exists)
  if (messagesKind && canExplainGeneric) {
    const canonical = [
      { name: 'channel history page', sql: 'SELECT id FROM messages WHERE channel_id = $1 AND deleted_at IS NULL AND id < $2 ORDER BY id DESC LIMIT 50', fix: 'CREATE INDEX ON messages (channel_id, id);' },
      // Every read of messages filters soft-deleted rows (soft-delete-filter), so the canonical ones do too.
      { name: 'time range', sql: 'SELECT count(*) FROM messages WHERE created_at >= $1 AND created_at < $2 AND deleted_at IS NULL', fix: 'CREATE INDEX ON messages USING brin (created_at); -- or a B-tree' },
    ];
    for (const c of canonical) {
      checked['index-scan']++;
      const plan = await explainGeneric(client, c.sql);
      const seq = planScans(plan).find((s) => messageRelations.has(s.relation) && isBadSeqScan(s));
      if (seq) findings.push({ rule: 'index-scan', table: 'messages', message: `the ${c.name} query plans a sequential scan of ${seq.relation}`, fix: c.fix });
    }
  }

  // partial-index-use: an index that leaves soft-deleted rows out exists for the scenario reads
  // (which all filter them); if no plan picks it, its predicate or columns do not fit the queries.
  if (messagesKind && canExplainGeneric && opts.queries.length > 0) {
    const partial = await softDeletePartialIndexes(client, schema);
    // On an empty schema every index costs the planner the same, so its pick proves nothing.
    if (partial.length && !opts.seeded) skipped.push(`partial-index-use: ${partial.map((p) => p.name).join(', ')} can be judged on seeded data only (on an empty schema every index costs the planner the same)`);
    else findings.push(...partialIndexFindings(partial, usedIndexes, checked));
  }

  // partition-coverage and partition-pruning
  if (messagesKind === 'p' && opts.range) {
    findings.push(...(await partitionFindings(client, schema, opts.range, checked)));
  }
  return { schema, findings, checked, skipped };
}

interface PartialIndex {
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

function partialIndexFindings(partial: PartialIndex[], used: Set<string>, checked: Record<Rule, number>): Finding[] {
  const findings: Finding[] = [];
  for (const ix of partial) {
    checked['partial-index-use']++;
    if (used.has(ix.name) || ix.members.some((m) => used.has(m))) continue;
    findings.push({
      rule: 'partial-index-use',
      table: 'messages',
      message: `no scenario query plans ${ix.name} (${ix.def.replace(/^.* USING /, 'USING ')}): its predicate is not implied by their filters, or another index serves them better`,
      fix: `match its WHERE and columns to the queries' filters, or DROP INDEX ${ix.name};`,
    });
  }
  return findings;
}

interface PartitionRow {
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
async function partitionFindings(client: pg.ClientBase, schema: string, range: { fromMs: number; toMs: number }, checked: Record<Rule, number>): Promise<Finding[]> {
  const findings: Finding[] = [];
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
  const parents = [...new Set(parts.rows.map((r) => r.parent))].sort();
  for (const parent of parents) {
    checked['partition-coverage']++;
    const rows = parts.rows.filter((r) => r.parent === parent);
    const gap = rows[0].strategy === 'h' ? hashGap(rows) : rangeGap(rows, range);
    if (gap) findings.push({ rule: 'partition-coverage', table: parent, ...gap });
    const dflt = rows.find((r) => r.bound === 'DEFAULT');
    if (dflt) {
      const n = await client.query(`SELECT EXISTS (SELECT 1 FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(dflt.child)}) AS strays`);
      if (n.rows[0].strays) {
        findings.push({ rule: 'partition-coverage', table: dflt.child, message: `${dflt.child} holds rows: their period has no partition`, fix: 'create the missing partitions, then move the rows out of the default partition' });
      }
    }
  }
  const messages = parts.rows.find((r) => r.parent === 'messages');
  if (!messages) return findings;
  // A query bounded by the partition key must touch exactly one messages partition: one day inside
  // the first period (as times, or as the ids of that day), or one channel.
  checked['partition-pruning']++;
  const dayStartMs = range.fromMs + 3_600_000;
  const dayEndMs = Math.min(range.fromMs + 86_400_000, range.toMs);
  const key = pg.escapeIdentifier(messages.keyColumn ?? 'created_at');
  const where =
    messages.strategy === 'h' ? `${key} = 1`
    : isSnowflakeKey(messages) ? `${key} >= ${snowflakeOf(dayStartMs)} AND ${key} < ${snowflakeOf(dayEndMs)}`
    : `${key} >= '${new Date(dayStartMs).toISOString()}' AND ${key} < '${new Date(dayEndMs).toISOString()}'`;
  const what = messages.strategy === 'h' ? 'one channel' : isSnowflakeKey(messages) ? 'the ids of one day' : 'a one-day';
  const plan = await client.query(`EXPLAIN (FORMAT JSON) SELECT count(*) FROM messages WHERE ${where}`);
  const touched = new Set(planScans(plan.rows[0]['QUERY PLAN'][0].Plan).map((s) => s.relation).filter((r) => r.startsWith('messages')));
  if (touched.size !== 1) {
    findings.push({
      rule: 'partition-pruning',
      table: 'messages',
      message: `${what} query scans ${touched.size} messages partitions (${[...touched].slice(0, 4).join(', ')}${touched.size > 4 ? ', ...' : ''}); expected 1`,
      fix: messages.strategy === 'h' ? `partition messages by HASH (${messages.keyColumn}) and filter on it` : `partition messages by RANGE (${messages.keyColumn}) and filter on it`,
    });
  }
  return findings;
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

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Filter?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** Every scan node of a plan with the conditions it applies (its own and its bitmap children's). */
export function planScans(node: PlanNode): PlanScan[] {
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
export function stripSqlLiterals(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
}
