// What every benchmark shares: scratch schemas of its own (marked, dropped after), running the
// peers (psql, pgbench) as child processes, and chatbench itself run as a user runs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runProcess } from '../db/run-process.ts';
import { connectClient, type Target } from '../db/target.ts';
import { newHistogram, record, type Histogram } from '../metrics/histogram.ts';
import { DEFAULT_SEED } from '../generate/defaults.ts';
import { loadScenario, runScenario, type LoadShape, type ScenarioRunConfig } from '../scenario/engine.ts';
import type { ScenarioResults } from '../results/types.ts';
import { RuntimeError } from '../errors.ts';
import type { BenchComparison } from '../results/types.ts';
import { runMigrations, setSchemaPath, type PartitionRange } from '../schema/apply.ts';
import type { Phase, Variant } from '../schema/variants.ts';

const BENCH_MARK = 'chatbench bench scratch schema';
/** Scenarios whose parameter laws pgbench can draw too (uniform integers). */
const BENCH_SCENARIOS = path.join(path.dirname(new URL(import.meta.url).pathname), 'scenarios');

export interface BenchLog {
  (message: string): void;
}

/** A fresh scratch schema for a benchmark; an existing one is dropped only if chatbench marked it. */
export async function scratchSchema(client: pg.Client, name: string): Promise<string> {
  const schema = `chatbench_bench_${name}`;
  const r = await client.query(`SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = $1`, [schema]);
  if (r.rowCount) {
    if (r.rows[0].c !== BENCH_MARK) throw new RuntimeError(`schema ${schema} exists and was not created by chatbench's benchmarks: it is left alone; drop or rename it to run this benchmark`);
    await client.query(`DROP SCHEMA ${pg.escapeIdentifier(schema)} CASCADE`);
  }
  await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  await client.query(`COMMENT ON SCHEMA ${pg.escapeIdentifier(schema)} IS '${BENCH_MARK}'`);
  return schema;
}

/**
 * Reads a design's message relations (every leaf's heap, indexes, TOAST table and its index) into the server's cache
 * before a comparison, so that neither tool meets pages the other, or a seed, left cold: after a
 * seed had emptied the page cache, a 2-second warm-up pass still left btree-weekly's page at
 * 3,593 µs p50 in a first repeat against 453-466 µs warm (docs/PERFORMANCE.md). pg_prewarm (contrib,
 * in the embedded server; created in the database if missing, and left there) reads every block.
 * Where it is not available or may not be created, the heap alone is read by a sequential scan,
 * which warms the operating system's cache more than the server's (a scan larger than a quarter of
 * shared_buffers goes through a small ring). Returns the blocks pg_prewarm read, or undefined for
 * the fallback.
 */
export async function prewarmMessages(target: Target, schema: string): Promise<number | undefined> {
  const client = await connectClient(target);
  try {
    const table = `${pg.escapeIdentifier(schema)}.messages`;
    const found = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [table]);
    if (!found.rows[0].ok) throw new RuntimeError(`no table ${schema}.messages to read into the cache`);
    const available = await client.query(`SELECT installed_version IS NOT NULL AS installed FROM pg_available_extensions WHERE name = 'pg_prewarm'`);
    let usable = available.rowCount === 1;
    if (usable && !available.rows[0].installed) {
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
      } catch (e) {
        const code = (e as { code?: string }).code;
        // 23505/42710: another session created it meanwhile; 42501: a role that may not create it.
        if (code === '42501') usable = false;
        else if (code !== '23505' && code !== '42710') throw e;
      }
    }
    if (usable) {
      const r = await client.query(
        // pg_partition_tree lists nothing for a plain table: a design whose messages are one table is its own leaf.
        `WITH leaves AS (SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf
                         UNION SELECT oid FROM pg_class WHERE oid = $1::regclass AND relkind = 'r'),
              rels AS (SELECT relid FROM leaves
                       UNION ALL SELECT i.indexrelid FROM pg_index i JOIN leaves l ON i.indrelid = l.relid
                       UNION ALL SELECT c.reltoastrelid FROM pg_class c JOIN leaves l ON c.oid = l.relid WHERE c.reltoastrelid <> 0
                       UNION ALL SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON i.indrelid = c.reltoastrelid JOIN leaves l ON c.oid = l.relid)
         SELECT coalesce(sum(pg_prewarm(relid)), 0)::bigint AS blocks FROM rels`,
        [table],
      );
      return Number(r.rows[0].blocks);
    }
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off');
    await client.query(`SELECT count(*) FROM ${table}`);
    await client.query('COMMIT');
    return undefined;
  } finally {
    await client.end();
  }
}

export async function dropScratch(client: pg.Client, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

/**
 * Runs a variant's migrations of one phase (optionally only some) in a schema, outside bookkeeping.
 * A range-partitioned variant's pre-load needs `range` (the data's time span) for its partitions.
 */
export async function runFragments(client: pg.Client, variant: Variant, schema: string, phase: Phase, names?: string[], range?: PartitionRange): Promise<void> {
  await client.query('BEGIN');
  try {
    await setSchemaPath(client, schema);
    await runMigrations(client, variant, phase, range, names);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Runs a peer program; returns its stdout, failing with its stderr. */
export async function runPeer(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; ms: number }> {
  const r = await runProcess(cmd, args, { env }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT' ? new RuntimeError(`${cmd} is not installed: the benchmark measures chatbench against it (apt-get install postgresql-client)`) : e;
  });
  if (r.code !== 0) throw new RuntimeError(`${cmd} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return { stdout: r.stdout, ms: r.ms };
}

export interface PgbenchRun {
  /** Transactions per second, as pgbench reports them (without connection time). */
  tps: number;
  /** Per-transaction latency from its log (-l): from the scheduled start under -R, lag included. */
  latency: Histogram;
  /** Under -R: how late each transaction started after its scheduled time (log column 7, µs), pgbench's own lateness plus any wait behind its client's previous transaction. */
  lag?: Histogram;
}

/**
 * Runs pgbench -n -M prepared with a script on a variant's schema, with a per-transaction log, and
 * reads the latency of every transaction from it (column 3, µs). With `warmupSeconds`, it runs that
 * much longer and the transactions that ended within the first `warmupSeconds` of the run are left
 * out, as chatbench leaves out its warm-up: a new connection runs the same statement slower at
 * first (measured, btree-weekly's history page: mean execution 338-471 µs over five 1-second runs,
 * 201-264 µs over one 5-second run, alternating).
 */
export async function pgbench(target: Target, schema: string, script: string, o: { clients: number; seconds: number; warmupSeconds?: number; ratePerSec?: number; planCache?: 'auto' | 'custom' | 'generic' }): Promise<PgbenchRun> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-pgbench-'));
  try {
    const file = path.join(tmp, 'script.sql');
    fs.writeFileSync(file, script);
    const url = new URL(target.libpqUrl({ schema }));
    if (o.planCache && o.planCache !== 'auto') url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} -cplan_cache_mode=force_${o.planCache}_plan`.trim());
    const env = target.params.password && target.kind === 'url' ? { PGPASSWORD: target.params.password } : {};
    const warmupSeconds = o.warmupSeconds ?? 0;
    const args = ['-n', '-M', 'prepared', '-c', String(o.clients), '-j', String(Math.min(o.clients, os.availableParallelism())), '-T', String(o.seconds + warmupSeconds), '-l', '--log-prefix', path.join(tmp, 'log')];
    if (o.ratePerSec) args.push('-R', String(o.ratePerSec));
    const r = await runPeer('pgbench', [...args, '-f', file, url.toString().replaceAll('+', '%20')], env);
    const latency = newHistogram();
    const lag = o.ratePerSec ? newHistogram() : undefined;
    // client_id transaction_no time script_no time_epoch time_us [schedule_lag]
    const rows = fs
      .readdirSync(tmp)
      .filter((x) => x.startsWith('log'))
      .flatMap((f) => fs.readFileSync(path.join(tmp, f), 'utf8').split('\n'))
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols.length >= 6 && /^\d+$/.test(cols[2]))
      .map((cols) => ({ us: Number(cols[2]), endUs: Number(cols[4]) * 1e6 + Number(cols[5]), lagUs: cols.length >= 7 && /^\d+$/.test(cols[6]) ? Number(cols[6]) : undefined }));
    // The run's start: the earliest transaction's start (its end less its latency).
    const measuredFromUs = rows.reduce((a, r) => Math.min(a, r.endUs - r.us), Infinity) + warmupSeconds * 1e6;
    for (const r of rows) {
      if (r.endUs < measuredFromUs) continue;
      record(latency, r.us);
      if (lag && r.lagUs !== undefined) record(lag, r.lagUs);
    }
    return { tps: Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1] ?? Number.NaN), latency, lag };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A pgbench script line from a scenario's SQL: $n become :variables, on one line. */
export function pgbenchSql(sql: string, names: string[]): string {
  let out = sql;
  // From the last, so that $1 never eats the start of $10.
  for (let i = names.length - 1; i >= 0; i--) out = out.replaceAll(`$${i + 1}`, `:${names[i]}`);
  return `${out.replace(/\s+/g, ' ').trim()};`;
}

/** chatbench itself, as a user runs it: a scenario (a bench one by name, or any file) through the scenario engine. */
export async function chatbenchRun(target: Target, o: { scenario: string; variants: Variant[]; shape: LoadShape; connections: number; durationMs: number; warmupMs: number; rounds?: number; planCache?: 'auto' | 'custom' | 'generic'; workers?: number; signal: AbortSignal }): Promise<ScenarioResults> {
  const file = o.scenario.endsWith('.ts') ? o.scenario : path.join(BENCH_SCENARIOS, `${o.scenario}.ts`);
  const cfg: ScenarioRunConfig = {
    scenario: await loadScenario(file),
    scenarioFile: file,
    variants: o.variants,
    shape: o.shape,
    connections: o.connections,
    durationMs: o.durationMs,
    warmupMs: o.warmupMs,
    seed: DEFAULT_SEED,
    explain: false,
    mode: 'load',
    workers: o.workers ?? 1,
    rounds: o.rounds ?? 1,
    planCache: o.planCache ?? 'auto',
  };
  return runScenario(target, cfg, o.signal, () => {}, { command: `bench ${o.scenario}` });
}

/**
 * Repeat k of a paired comparison: pgbench's side first on even repeats, chatbench's first on odd
 * ones, so that neither tool always meets the server's state the other left. Returns [theirs, ours].
 */
export async function alternating<P, C>(k: number, theirs: () => Promise<P>, ours: () => Promise<C>): Promise<[P, C]> {
  if (k % 2 === 0) {
    const p = await theirs();
    return [p, await ours()];
  }
  const c = await ours();
  return [await theirs(), c];
}

export function comparison(c: Omit<BenchComparison, 'met'>): BenchComparison {
  return { ...c, met: c.target === undefined ? undefined : c.ratio >= c.target };
}
