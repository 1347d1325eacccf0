// `chatbench check` (and `schema check`): the schema audit of the variants, or of a schema of
// the user's own; exit code 1 when a rule fails.
import type { Argv } from 'yargs';
import { SCHEMAS_DIR } from '../../config/paths.ts';
import { connectClient } from '../../db/target.ts';
import { GateError, UsageError } from '../../errors.ts';
import { RULES, type Finding } from '../../schema/audit.ts';
import { checkSchemas } from '../../schema/check.ts';
import { loadVariants, pickVariants, type Variant } from '../../schema/variants.ts';
import { scenarioAuditQueries } from '../../scenario/engine.ts';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';

export function checkOptions(y: Argv): Argv {
  return y
    .option('variant', { type: 'string', describe: 'a variant name, a,b list or all (default all)' })
    .option('schema', { type: 'string', describe: 'audit this schema instead of a variant (your own chat schema, say)' });
}

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

export async function check(ctx: CliContext, variants: Variant[], argv: Record<string, unknown>): Promise<void> {
  if (argv.schema !== undefined && argv.variant !== undefined) throw new UsageError('--schema and --variant cannot be used together');
  const picked = argv.schema === undefined ? pickVariants(variants, argv.variant ?? 'all', 'variant') : [];
  const queries = await scenarioAuditQueries();
  const target = await ctx.target();
  const client = await connectClient(target);
  const schema = argv.schema === undefined ? undefined : String(argv.schema);
  const reports = await checkSchemas(client, { schema, variants: picked, queries, where: target.display, throwIfAborted: ctx.throwIfAborted }).finally(() => client.end());
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

function formatFinding(f: Finding): string {
  return `  ${f.rule.padEnd(20)} ${`${f.table}${f.column ? `(${f.column})` : ''}`.padEnd(34)} ${f.message}; fix: ${f.fix}`;
}
