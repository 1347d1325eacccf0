// Helpers for integration tests: run the real CLI as a child process, and give each test file a
// database of its own on the shared embedded server (so files never see each other's variants).
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { PROJECT_ROOT } from '../src/config/paths.ts';
import { commandsClosed, running } from './commands.ts';
import { applyVariant, revertVariant } from '../src/schema/apply.ts';
import { catalogSnapshot, diffSnapshots } from '../src/schema/snapshot.ts';
import type { Variant } from '../src/schema/variants.ts';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const MAIN = path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts');

/** Runs `chatbench ...args`; env defaults to the current one without DATABASE_URL. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void; onStderr?: (soFar: string) => void } = {}): Promise<CliRun> {
  if (commandsClosed(opts.env?.CHATBENCH_HOME)) return Promise.reject(new Error(`the file's tests are over: not running chatbench ${args.join(' ')}`));
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: '1', ...opts.env };
    if (!opts.env || !('DATABASE_URL' in opts.env)) delete (env as NodeJS.ProcessEnv).DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    opts.onSpawn?.(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A fresh database on the shared test server; returns its URL (with the password). */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, schema?: string): Promise<T> {
  const c = new pg.Client({ connectionString: url, options: schema ? `-c search_path=${schema},public` : undefined });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The one-line error contract: a single line on stderr, starting "chatbench:", no stack trace. */
export function oneLineError(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${stderr}`);
  if (!lines[0].startsWith('chatbench: ')) throw new Error(`expected "chatbench: ..." on stderr, got: ${lines[0]}`);
  if (/\n\s+at |Error: .*\n/.test(stderr)) throw new Error(`stack trace on stderr:\n${stderr}`);
  return lines[0];
}

/**
 * Runs the CLI's main() inside this process, capturing what it writes: the same code as the real
 * command without a process start (about a second each), for the long tables of bad input.
 * Only for commands that end before connecting: output from other tests' async work could mix in.
 */
export async function runInProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const { main } = await import('../src/cli/app.ts');
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries({ DATABASE_URL: undefined, NO_COLOR: '1', ...env })) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'main.ts', ...args]);
    return { code, signal: null, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * An exported sqlx folder's round trip, as sqlx runs it: the up files in version order, each in its
 * own transaction, into a fresh schema, must build the catalog the variant builds when applied
 * directly; the down files in reverse must leave that schema empty. `files` are [name, sql].
 */
export async function exportRoundTrip(c: pg.Client, variant: Variant, files: Array<[string, string]>, range: { fromMs: number; toMs: number }): Promise<{ diff: string[]; left: number }> {
  await applyVariant(c, variant, range);
  try {
    await c.query('DROP SCHEMA IF EXISTS sqlx_target CASCADE');
    await c.query('CREATE SCHEMA sqlx_target');
    const run = async (sql: string) => {
      await c.query('BEGIN');
      await c.query('SET LOCAL search_path TO sqlx_target, public');
      await c.query(sql);
      await c.query('COMMIT');
    };
    for (const [, sql] of files.filter(([f]) => f.endsWith('.up.sql'))) await run(sql);
    const diff = diffSnapshots(await catalogSnapshot(c, variant.schema), await catalogSnapshot(c, 'sqlx_target'));
    for (const [, sql] of files.filter(([f]) => f.endsWith('.down.sql')).reverse()) await run(sql);
    const left = (await c.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sqlx_target'`)).rows[0].n as number;
    await c.query('DROP SCHEMA sqlx_target');
    return { diff, left };
  } finally {
    await revertVariant(c, variant);
  }
}
