// `chatbench schema list|apply|revert|export|check` and `chatbench check`: the variants themselves.
import path from 'node:path';
import type pg from 'pg';
import { SCHEMAS_DIR } from '../../config/paths.ts';
import { parseDate, parseInteger } from '../../config/parse.ts';
import { connectClient } from '../../db/target.ts';
import { GateError, UsageError } from '../../errors.ts';
import { DEFAULT_DAYS, DEFAULT_START_MS } from '../../generate/defaults.ts';
import { formatCount } from '../../metrics/format.ts';
import { applyScratch, applyVariant, revertVariant, type PartitionRange } from '../../schema/apply.ts';
import { auditSchema, RULES, type AuditQuery, type AuditResult, type Finding } from '../../schema/audit.ts';
import { exportMigrations, writeExport } from '../../schema/export.ts';
import { appliedVariants, seedRecords, type SeedRecord } from '../../schema/meta.ts';
import { findVariant, loadVariants, partitionKey, pickVariants, type Variant } from '../../schema/variants.ts';
import { scenarioAuditQueries } from '../../scenario/registry.ts';
import type { Argv } from 'yargs';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';

const ACTIONS = ['list', 'apply', 'revert', 'export', 'check'] as const;

function rangeOptions(y: Argv): Argv {
  return y
    .option('start', { type: 'string', describe: 'with apply/export: first day the partitions cover (default: the seeder\'s 2026-01-01)' })
    .option('days', { type: 'string', describe: `with apply/export: days the partitions cover (default ${DEFAULT_DAYS})` });
}

function checkOptions(y: Argv): Argv {
  return y
    .option('variant', { type: 'string', describe: 'a variant name, a,b list or all (default all)' })
    .option('schema', { type: 'string', describe: 'audit this schema instead of a variant (your own chat schema, say)' });
}

function partitionRange(argv: Record<string, unknown>): PartitionRange {
  const fromMs = argv.start === undefined ? DEFAULT_START_MS : parseDate('start', argv.start);
  const days = argv.days === undefined ? DEFAULT_DAYS : parseInteger('days', argv.days, 1, 36_600);
  return { fromMs, toMs: fromMs + days * 86_400_000 };
}

export const schemaCommand: CommandFactory = (ctx) => ({
  command: 'schema <action>',
  describe: 'schema variants: list, apply, revert, export (sqlx migrations), check (the audit)',
  builder: (y) =>
    checkOptions(rangeOptions(y))
      .positional('action', { choices: ACTIONS })
      .option('out', { type: 'string', describe: 'with export: the folder to write (new or empty)' })
      .option('force', { type: 'boolean', default: false, describe: 'with revert: drop a variant applied from an older definition, contents and all' })
      .example('$0 schema list', 'the variants and their hypotheses')
      .example('$0 schema apply --variant brin-weekly', 'create a variant (empty) in its own schema')
      .example('$0 schema export --variant btree-monthly --out migrations/', 'sqlx migrations folder')
      .example('$0 schema revert --variant all', 'drop every variant chatbench created'),
  handler: async (argv) => {
    const action = argv.action as (typeof ACTIONS)[number];
    const variants = loadVariants(SCHEMAS_DIR);
    if (action !== 'check' && argv.schema !== undefined) throw new UsageError('--schema applies to "schema check" only');
    if (action === 'list') return list(ctx, variants);
    if (action === 'check') return check(ctx, variants, argv);
    if (argv.variant === undefined) throw new UsageError(`missing --variant for "schema ${action}": expected one of ${variants.map((v) => v.name).join(', ')}${action === 'export' ? '' : ', or all'}`);
    if (action === 'export') {
      if (argv.out === undefined) throw new UsageError('missing --out for "schema export": expected a new or empty folder');
      const v = findVariant(variants, String(argv.variant));
      const files = writeExport(path.resolve(String(argv.out)), exportMigrations(v, partitionRange(argv)));
      ctx.result({ variant: v.name, files }, `wrote ${files.length / 2} sqlx migrations for ${v.name} to ${path.resolve(String(argv.out))} (apply with: sqlx migrate run --source ${String(argv.out)})`);
      return;
    }
    const picked = pickVariants(variants, argv.variant, 'variant');
    const range = partitionRange(argv);
    const target = await ctx.target();
    const client = await connectClient(target);
    try {
      const results: Array<{ variant: string; schema: string; done: boolean; ms?: number }> = [];
      for (const v of picked) {
        ctx.throwIfAborted();
        if (action === 'apply') {
          const t0 = performance.now();
          await applyVariant(client, v, range);
          results.push({ variant: v.name, schema: v.schema, done: true, ms: Math.round(performance.now() - t0) });
          ctx.log(`applied ${v.name} in schema ${v.schema}`);
        } else {
          const { reverted } = await revertVariant(client, v, { force: Boolean(argv.force) });
          results.push({ variant: v.name, schema: v.schema, done: reverted });
          ctx.log(reverted ? `reverted ${v.name}: schema ${v.schema} dropped` : `${v.name} was not applied`);
        }
      }
      ctx.result({ action, variants: results }, results.map((r) => `${r.variant}: ${r.done ? (action === 'apply' ? `applied (${r.ms} ms)` : 'reverted') : 'not applied'}`).join('\n'));
    } finally {
      await client.end();
    }
  },
});

export const checkCommand: CommandFactory = (ctx) => ({
  command: 'check',
  describe: 'audit the variants (short for "schema check"): foreign-key indexes, timestamptz, soft-delete filters, index use, partitions',
  builder: (y) =>
    checkOptions(y)
      .example('$0 check', 'audit every variant (seeded ones on their data, others in a throwaway schema)')
      .example('$0 check --schema public', 'audit your own chat schema')
      .epilogue(
        `Rules:\n${Object.entries(RULES).map(([k, v]) => `  ${k.padEnd(20)} ${v}`).join('\n')}\n\nExit code 1 when any rule fails.\n\n` +
          `Variants (npm run schema -- list for their hypotheses):\n${loadVariants(SCHEMAS_DIR).map((v) => `  ${v.name.padEnd(26)} ${v.summary}`).join('\n')}`,
      ),
  handler: async (argv) => check(ctx, loadVariants(SCHEMAS_DIR), argv),
});

async function list(ctx: CliContext, variants: Variant[]): Promise<void> {
  const target = await ctx.target();
  const client = await connectClient(target);
  let applied: Awaited<ReturnType<typeof appliedVariants>> = [];
  let seeds = new Map<string, SeedRecord>();
  try {
    applied = await appliedVariants(client);
    seeds = await seedRecords(client);
  } finally {
    await client.end();
  }
  const rows = variants.map((v) => {
    const a = applied.find((x) => x.variant === v.name);
    return {
      name: v.name,
      summary: v.summary,
      hypothesis: v.hypothesis,
      schema: v.schema,
      partitioning: v.partitioning === null ? 'none' : 'unit' in v.partitioning ? v.partitioning.unit : `hash ${v.partitioning.partitions}`,
      partitionKey: partitionKey(v),
      indexes: v.indexes ?? 'full',
      timeIndex: v.timeIndex,
      fullTextSearch: v.features.fullTextSearch,
      messageCountTrigger: v.features.messageCountTrigger,
      state: !a ? 'not applied' : a.phase === 'pre-load' ? 'loading (no indexes yet)' : seeds.get(v.name)?.status === 'complete' ? `seeded, ${formatCount(seeds.get(v.name)!.plan.messages)} messages` : 'applied (empty)',
    };
  });
  const text = rows
    .map((r) => `${r.name.padEnd(26)} ${r.summary}\n${' '.repeat(27)}state: ${r.state}; fts ${r.fullTextSearch ? 'on' : 'off'}, counter trigger ${r.messageCountTrigger ? 'on' : 'off'}\n${wrap(r.hypothesis, 27, 100)}`)
    .join('\n\n');
  ctx.result({ variants: rows }, text);
}

function wrap(text: string, indent: number, width: number): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

interface CheckReport {
  target: string;
  how: string;
  result: AuditResult;
}

async function check(ctx: CliContext, variants: Variant[], argv: Record<string, unknown>): Promise<void> {
  if (argv.schema !== undefined && argv.variant !== undefined) throw new UsageError('--schema and --variant cannot be used together');
  const picked = argv.schema === undefined ? pickVariants(variants, argv.variant ?? 'all', 'variant') : [];
  const queries: AuditQuery[] = await scenarioAuditQueries();
  const target = await ctx.target();
  const client = await connectClient(target);
  const reports: CheckReport[] = [];
  try {
    if (argv.schema !== undefined) {
      const schema = String(argv.schema);
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (!exists.rowCount) throw new UsageError(`invalid value ${JSON.stringify(schema)} for --schema: no such schema in ${target.display}`);
      reports.push({ target: schema, how: 'as it is', result: await inRolledBack(client, () => auditSchema(client, schema, { seeded: true, queries: [] })) });
    }
    const applied = picked.length ? await appliedVariants(client) : [];
    for (const v of picked) {
      ctx.throwIfAborted();
      const a = applied.find((x) => x.variant === v.name);
      const seed = a ? (await seedRecords(client, [v.name])).get(v.name) : undefined;
      const range = seed?.status === 'complete' ? { fromMs: seed.plan.startMs, toMs: seed.plan.endMs } : undefined;
      if (a && a.phase === 'post-load') {
        const how = range ? 'on its seeded data' : 'applied, empty';
        reports.push({ target: v.name, how, result: await inRolledBack(client, () => auditSchema(client, v.schema, { seeded: Boolean(range), range, queries })) });
      } else {
        // Not applied (or mid-seed): build it in a throwaway schema and roll back.
        const scratch = `chatbench_check_${process.pid}`;
        const defaultRange = { fromMs: DEFAULT_START_MS, toMs: DEFAULT_START_MS + DEFAULT_DAYS * 86_400_000 };
        const result = await inRolledBack(client, async () => {
          await applyScratch(client, v, scratch, defaultRange);
          return auditSchema(client, scratch, { seeded: false, range: defaultRange, queries });
        });
        reports.push({ target: v.name, how: 'built in a throwaway schema (not applied here)', result });
      }
    }
  } finally {
    await client.end();
  }
  const failed = reports.reduce((n, r) => n + r.result.findings.length, 0);
  const lines: string[] = [];
  for (const r of reports) {
    const n = Object.values(r.result.checked).reduce((a, b) => a + b, 0);
    lines.push(`${r.result.findings.length ? 'FAIL' : 'ok  '} ${r.target} (${r.how}): ${n} checks, ${r.result.findings.length} failed`);
    for (const f of r.result.findings) lines.push(formatFinding(f));
    for (const why of r.result.skipped) lines.push(`  not checked: ${why}`);
  }
  ctx.result(
    { schemaVersion: 1, passed: failed === 0, reports: reports.map((r) => ({ target: r.target, how: r.how, checked: r.result.checked, skipped: r.result.skipped, findings: r.result.findings })) },
    lines.join('\n'),
  );
  if (failed > 0) throw new GateError(`the schema audit found ${failed} problem(s)`, 1);
}

export function formatFinding(f: Finding): string {
  return `  ${f.rule.padEnd(20)} ${`${f.table}${f.column ? `(${f.column})` : ''}`.padEnd(34)} ${f.message}; fix: ${f.fix}`;
}

async function inRolledBack<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await fn();
  } finally {
    await client.query('ROLLBACK');
  }
}
