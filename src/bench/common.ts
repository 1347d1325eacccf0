// What every benchmark shares: scratch schemas of its own (marked, dropped after), running the
// peers (psql, pgbench) as child processes, and the results file of a bench run.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { RuntimeError } from '../errors.ts';
import type { BenchComparison, BenchResults, RunEnvironment } from '../results/types.ts';
import { setSchemaPath } from '../schema/apply.ts';
import type { Phase, Variant } from '../schema/variants.ts';

const BENCH_MARK = 'chatbench bench scratch schema';

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

export async function dropScratch(client: pg.Client, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

/** Runs a variant's migrations of one phase (optionally only some) in a schema, outside bookkeeping. */
export async function runFragments(client: pg.Client, variant: Variant, schema: string, phase: Phase, names?: string[]): Promise<void> {
  await client.query('BEGIN');
  try {
    await setSchemaPath(client, schema);
    for (const m of variant.migrations.filter((x) => x.phase === phase && (!names || names.includes(x.name)))) await client.query(m.up);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Runs a peer program; returns its stdout, failing with its stderr. */
export function runPeer(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) =>
      reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new RuntimeError(`${cmd} is not installed: the benchmark measures chatbench against it (apt-get install postgresql-client)`) : e),
    );
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, ms: performance.now() - t0 });
      else reject(new RuntimeError(`${cmd} failed (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

export function comparison(c: Omit<BenchComparison, 'met'>): BenchComparison {
  return { ...c, met: c.target === undefined ? undefined : c.ratio >= c.target };
}

export function benchResults(bench: string, config: Record<string, unknown>, comparisons: BenchComparison[], environment: RunEnvironment, startedAt: Date, command: string, extra?: Record<string, unknown>): BenchResults {
  return {
    schemaVersion: 1,
    kind: 'bench',
    runId: '',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command,
    partial: false,
    environment,
    bench,
    config,
    comparisons,
    extra,
  };
}
