// Server evidence for a measured phase: pg_stat_statements for the scenario's statements,
// pg_stat_database counters, WAL written, and EXPLAIN (ANALYZE, BUFFERS) EXECUTE of each
// operation's prepared statement as the plan kind that ran, with the partitions it touched.
import pg from 'pg';
import { paramText } from '../db/lean-connection.ts';
import { median } from '../metrics/histogram.ts';

export interface StatementCounters {
  calls: number;
  totalExecMs: number;
  maxExecMs: number;
  sharedHit: number;
  sharedRead: number;
  rows: number;
}

/**
 * Whether pg_stat_statements can be read here. When the server preloads it but this database lacks
 * the extension, it is created (an additive change, reported by the caller through `created`).
 */
export async function ensurePgss(client: pg.ClientBase): Promise<{ available: boolean; created: boolean; why?: string }> {
  const r = await client.query(
    `SELECT to_regclass('pg_stat_statements') IS NOT NULL AS installed,
            current_setting('shared_preload_libraries') ~ 'pg_stat_statements' AS preloaded,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS shipped`,
  );
  const { installed, preloaded, shipped } = r.rows[0];
  if (installed) return { available: await pgssAvailable(client), created: false };
  if (!shipped) return { available: false, created: false, why: 'pg_stat_statements is not installed on this server' };
  if (!preloaded) return { available: false, created: false, why: 'pg_stat_statements is not in shared_preload_libraries' };
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return { available: true, created: true };
  } catch (e) {
    return { available: false, created: false, why: `cannot create the pg_stat_statements extension: ${(e as Error).message}` };
  }
}

async function pgssAvailable(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query(`SELECT to_regclass('pg_stat_statements') IS NOT NULL AS ok`);
  if (!r.rows[0].ok) return false;
  try {
    await client.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    return true;
  } catch {
    return false; // installed but not preloaded
  }
}

export interface StatementSnapshot {
  available: boolean;
  /** By pg_stat_statements queryid (as text: it is a full 64-bit value). */
  byId: Map<string, StatementCounters>;
}

/**
 * The queryid pg_stat_statements files each statement under, in the current schema: it normalises
 * constants ("LIMIT 50" becomes "LIMIT $3") and the id depends on the tables the names resolve to,
 * so ask the server (EXPLAIN VERBOSE prints the id) rather than match texts.
 */
export async function statementIds(client: pg.ClientBase, texts: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const sql of texts) {
    try {
      const r = await client.query(`EXPLAIN (VERBOSE, GENERIC_PLAN) ${sql}`);
      const line = r.rows.map((x) => x['QUERY PLAN'] as string).find((l) => l.startsWith('Query Identifier:'));
      if (line) ids.set(sql, line.split(':')[1].trim());
    } catch {
      // no id for this one: its server evidence is omitted
    }
  }
  return ids;
}

export async function snapshotStatements(client: pg.ClientBase, ids: string[]): Promise<StatementSnapshot> {
  if (!(await pgssAvailable(client))) return { available: false, byId: new Map() };
  const r = await client.query(
    `SELECT queryid::text AS id, sum(calls)::bigint AS calls, sum(total_exec_time) AS total, max(max_exec_time) AS max,
            sum(shared_blks_hit)::bigint AS hit, sum(shared_blks_read)::bigint AS read, sum(rows)::bigint AS rows
       FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid = ANY($1::bigint[])
      GROUP BY queryid`,
    [ids],
  );
  const byId = new Map<string, StatementCounters>();
  for (const row of r.rows) {
    byId.set(row.id, { calls: Number(row.calls), totalExecMs: Number(row.total), maxExecMs: Number(row.max), sharedHit: Number(row.hit), sharedRead: Number(row.read), rows: Number(row.rows) });
  }
  return { available: true, byId };
}

/**
 * Zeroes the counters of these statements so the measured phase's max is its own; returns false
 * where the role may not reset them (deltas are used then, and max is omitted).
 */
export async function resetStatements(client: pg.ClientBase, ids: string[]): Promise<boolean> {
  try {
    for (const id of ids) {
      await client.query(`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), $1::bigint)`, [id]);
    }
    return true;
  } catch {
    return false;
  }
}

export function statementDelta(before: StatementSnapshot, after: StatementSnapshot, id: string | undefined, maxValid: boolean): StatementCounters | undefined {
  if (!after.available || id === undefined) return undefined;
  const zero = { calls: 0, totalExecMs: 0, maxExecMs: 0, sharedHit: 0, sharedRead: 0, rows: 0 };
  const a = after.byId.get(id) ?? zero;
  const b = before.byId.get(id) ?? zero;
  return {
    calls: a.calls - b.calls,
    totalExecMs: a.totalExecMs - b.totalExecMs,
    maxExecMs: maxValid || !before.byId.has(id) ? a.maxExecMs : Number.NaN,
    sharedHit: a.sharedHit - b.sharedHit,
    sharedRead: a.sharedRead - b.sharedRead,
    rows: a.rows - b.rows,
  };
}

export interface DatabaseCounters {
  blksHit: number;
  blksRead: number;
  tempBytes: number;
  deadlocks: number;
  commits: number;
  rollbacks: number;
  walLsn: string;
}

export async function snapshotDatabase(client: pg.ClientBase): Promise<DatabaseCounters> {
  // pg_stat_database is refreshed at most once per transaction; a fresh snapshot each call.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const r = await client.query(
    `SELECT blks_hit, blks_read, temp_bytes, deadlocks, xact_commit, xact_rollback, pg_current_wal_lsn()::text AS lsn
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  const row = r.rows[0];
  return {
    blksHit: Number(row.blks_hit),
    blksRead: Number(row.blks_read),
    tempBytes: Number(row.temp_bytes),
    deadlocks: Number(row.deadlocks),
    commits: Number(row.xact_commit),
    rollbacks: Number(row.xact_rollback),
    walLsn: row.lsn,
  };
}

export async function walBytesBetween(client: pg.ClientBase, fromLsn: string, toLsn: string): Promise<number> {
  const r = await client.query('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::bigint AS bytes', [fromLsn, toLsn]);
  return Number(r.rows[0].bytes);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  'Subplans Removed'?: number;
  Plans?: PlanNode[];
}

export interface ExplainResult {
  text: string;
  partitionsScanned: number;
  partitionsTotal: number;
}

export type PlanKind = 'generic' | 'custom';

export interface PreparedExplain extends ExplainResult {
  kind: PlanKind;
  /** Median over the parameter sets of planning and of execution time, as the server reports them. */
  planMs: number;
  execMs: number;
}

/**
 * The plan a prepared statement runs, forced to one kind: 'generic' (the plan the server caches for
 * every parameter set, after five executions, when it looks no costlier) or 'custom' (planned for
 * these values). EXPLAIN (ANALYZE, BUFFERS) EXECUTE with the first parameter set; every set timed
 * (planning and execution). In a transaction rolled back: writes leave nothing.
 */
export async function explainPrepared(client: pg.ClientBase, sql: string, paramSets: unknown[][], kind: PlanKind, partitions: Map<string, string>): Promise<PreparedExplain> {
  const literal = (v: unknown) => {
    const t = paramText(v);
    return t === null ? 'NULL' : pg.escapeLiteral(typeof t === 'string' ? t : `\\x${t.toString('hex')}`);
  };
  const execute = (params: unknown[]) => `EXECUTE cb_explain(${params.map(literal).join(', ')})`;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL plan_cache_mode = ${kind === 'generic' ? 'force_generic_plan' : 'force_custom_plan'}`);
    await client.query(`PREPARE cb_explain AS ${sql}`);
    const text = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${execute(paramSets[0])}`);
    const plans: PlanNode[] = [];
    const planMs: number[] = [];
    const execMs: number[] = [];
    for (const params of paramSets) {
      const json = (await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${execute(params)}`)).rows[0]['QUERY PLAN'][0] as { Plan: PlanNode; 'Planning Time': number; 'Execution Time': number };
      plans.push(json.Plan);
      planMs.push(json['Planning Time']);
      execMs.push(json['Execution Time']);
    }
    const { scanned, total } = partitionsTouched(plans[0], partitions);
    return { kind, text: text.rows.map((r) => r['QUERY PLAN']).join('\n'), partitionsScanned: scanned, partitionsTotal: total, planMs: median(planMs), execMs: median(execMs) };
  } finally {
    await client.query('ROLLBACK');
    await client.query('DEALLOCATE cb_explain').catch(() => {});
  }
}

/** Partitions a plan executed at least once, and how many the tables it read have in all. */
function partitionsTouched(plan: PlanNode, partitions: Map<string, string>): { scanned: number; total: number } {
  const scanned = new Set<string>();
  const parents = new Set<string>();
  const walk = (n: PlanNode) => {
    const rel = n['Relation Name'];
    if (rel && partitions.has(rel)) {
      parents.add(partitions.get(rel)!);
      if ((n['Actual Loops'] ?? 0) > 0) scanned.add(rel);
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(plan);
  return { scanned: scanned.size, total: [...partitions.values()].filter((p) => parents.has(p)).length };
}

/** Partition name -> parent name, for the tables of a schema. */
export async function partitionMap(client: pg.ClientBase, schema: string): Promise<Map<string, string>> {
  const r = await client.query(
    `SELECT c.relname AS child, p.relname AS parent
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
    [schema],
  );
  return new Map(r.rows.map((x) => [x.child as string, x.parent as string]));
}
