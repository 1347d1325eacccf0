// `chatbench report DIR | list | compare A B [...]`: render, list and compare runs.
import path from 'node:path';
import { REPORTS_DIR } from '../../config/paths.ts';
import { GATE_EXIT_CODE, UsageError } from '../../errors.ts';
import { listRuns, runsTable } from '../../report/list.ts';
import { renderRun } from '../../report/render.ts';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';
import { compare, readRun } from './compare.ts';

export const reportCommand: CommandFactory = (ctx) => ({
  command: 'report [args..]',
  describe: 'render a run\'s report (report DIR), list runs (report list), compare runs (report compare A B ...)',
  builder: (y) =>
    y
      .positional('args', { type: 'string', array: true, describe: 'a run folder; or list; or compare and two or more run folders' })
      .option('threshold', { type: 'string', describe: 'compare: a change beyond this is a regression (default 10%)' })
      .option('fail-on-regression', { type: 'boolean', default: false, describe: `compare: exit with code ${GATE_EXIT_CODE} when any regression is found` })
      .option('out', { type: 'string', describe: 'compare: folder for the comparison page (default reports/<run-id>-compare)' })
      .example('$0 report reports/20261130-120000-history-scroll', 're-render a run from its results.json')
      .example('$0 report compare reports/A reports/B --threshold 5% --fail-on-regression', 'gate a change in CI'),
  handler: async (argv) => {
    const args = ((argv.args as string[] | undefined) ?? []).map(String);
    if (args.length === 0) throw new UsageError('missing argument for "report": expected a run folder, list, or compare with two or more run folders');
    if (argv.threshold !== undefined || argv['fail-on-regression'] || argv.out !== undefined) {
      if (args[0] !== 'compare') throw new UsageError('--threshold, --fail-on-regression and --out apply to "report compare"');
    }
    if (args[0] === 'list') return list(ctx, args.slice(1));
    if (args[0] === 'compare') return compare(ctx, args.slice(1), argv);
    const files: string[] = [];
    for (const dir of args) files.push(await renderRun(path.resolve(dir), readRun(dir)));
    ctx.result({ reports: files }, files.map((f) => `report: ${f}`).join('\n'));
  },
});

function list(ctx: CliContext, rest: string[]): void {
  if (rest.length) throw new UsageError(`"report list" takes no arguments (got ${rest.join(' ')})`);
  const { runs, unreadable } = listRuns(REPORTS_DIR);
  const text = runs.length ? runsTable(runs) : `no runs under ${REPORTS_DIR} yet`;
  ctx.result({ runs, unreadable }, `${text}${unreadable.length ? `\n(unreadable: ${unreadable.join(', ')})` : ''}`);
}
