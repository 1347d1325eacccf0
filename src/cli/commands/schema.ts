// `chatbench schema list|apply|revert|export|check`: the variants themselves (check is in check.ts).
import path from 'node:path';
import { SCHEMAS_DIR } from '../../config/paths.ts';
import { parseDate, parseInteger } from '../../config/parse.ts';
import { connectClient } from '../../db/target.ts';
import { UsageError } from '../../errors.ts';
import { DEFAULT_DAYS, DEFAULT_START_MS } from '../../generate/defaults.ts';
import { wrap } from '../../report/terminal.ts';
import { applyVariant, revertVariant, type PartitionRange } from '../../schema/apply.ts';
import { exportMigrations, writeExport } from '../../schema/export.ts';
import { variantStates } from '../../schema/states.ts';
import { findVariant, loadVariants, pickVariants, type Variant } from '../../schema/variants.ts';
import type { Argv } from 'yargs';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';
import { check, checkOptions } from './check.ts';

const ACTIONS = ['list', 'apply', 'revert', 'export', 'check'] as const;

function rangeOptions(y: Argv): Argv {
  return y
    .option('start', { type: 'string', describe: 'with apply/export: first day the partitions cover (default: the seeder\'s 2026-01-01)' })
    .option('days', { type: 'string', describe: `with apply/export: days the partitions cover (default ${DEFAULT_DAYS})` });
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

async function list(ctx: CliContext, variants: Variant[]): Promise<void> {
  const client = await connectClient(await ctx.target());
  const rows = await variantStates(client, variants).finally(() => client.end());
  const text = rows
    .map((r) => `${r.name.padEnd(26)} ${r.summary}\n${' '.repeat(27)}state: ${r.state}; fts ${r.fullTextSearch ? 'on' : 'off'}, counter trigger ${r.messageCountTrigger ? 'on' : 'off'}\n${wrap(r.hypothesis, 27, 100)}`)
    .join('\n\n');
  ctx.result({ variants: rows }, text);
}
