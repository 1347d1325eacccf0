// `chatbench report DIR | list | compare A B [...]`: render, list and compare runs.
import fs from 'node:fs';
import path from 'node:path';
import { REPORTS_DIR } from '../../config/paths.ts';
import { parseFraction } from '../../config/parse.ts';
import { GateError, UsageError } from '../../errors.ts';
import { newRunId, readResults, ResultsError, runDir } from '../../results/io.ts';
import type { CapacityResults, Results, ScenarioResults } from '../../results/types.ts';
import { capacityCompareCharts, capacityCompareMarkdown, capacityComparePage, capacityCompareTable, compareCapacity } from '../../report/capacity.ts';
import { formatObjective } from '../../metrics/slo.ts';
import { compareCharts, compareMarkdown, comparePage, compareRuns } from '../../report/compare.ts';
import { listRuns } from '../../report/list.ts';
import { renderPngs } from '../../report/png.ts';
import { renderRun } from '../../report/render.ts';
import { table } from '../../report/terminal.ts';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';

/** Exit code of `compare --fail-on-regression` when a run regressed (CI pipelines gate on it). */
export const REGRESSION_EXIT_CODE = 3;

export const reportCommand: CommandFactory = (ctx) => ({
  command: 'report [args..]',
  describe: 'render a run\'s report (report DIR), list runs (report list), compare runs (report compare A B ...)',
  builder: (y) =>
    y
      .positional('args', { type: 'string', array: true, describe: 'a run folder; or list; or compare and two or more run folders' })
      .option('threshold', { type: 'string', describe: 'compare: a change beyond this is a regression (default 10%)' })
      .option('fail-on-regression', { type: 'boolean', default: false, describe: `compare: exit with code ${REGRESSION_EXIT_CODE} when any regression is found` })
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

function readRun(dir: string) {
  if (!fs.existsSync(dir)) throw new UsageError(`no such run folder: ${dir} (see "report list")`);
  try {
    return readResults(dir);
  } catch (e) {
    if (e instanceof ResultsError) throw new UsageError(e.message);
    throw e;
  }
}

function list(ctx: CliContext, rest: string[]): void {
  if (rest.length) throw new UsageError(`"report list" takes no arguments (got ${rest.join(' ')})`);
  const { runs, unreadable } = listRuns(REPORTS_DIR);
  const rows = runs.map((r) => [r.startedAt.replace('T', ' ').slice(0, 19), r.kind, r.name, r.variants.join(',') || '–', `${r.partial ? '(partial) ' : ''}${r.headline}`, path.relative(process.cwd(), r.dir)]);
  const text = runs.length ? table(['started', 'kind', 'name', 'variants', 'headline', 'folder'], rows, 6) : `no runs under ${REPORTS_DIR} yet`;
  ctx.result({ runs, unreadable }, `${text}${unreadable.length ? `\n(unreadable: ${unreadable.join(', ')})` : ''}`);
}

async function compare(ctx: CliContext, dirs: string[], argv: Record<string, unknown>): Promise<void> {
  if (dirs.length < 2) throw new UsageError('"report compare" needs two or more run folders: the first is the baseline');
  const threshold = argv.threshold === undefined ? 0.1 : parseFraction('threshold', argv.threshold);
  const runs = dirs.map((d) => readRun(d));
  if (runs[0].kind === 'capacity') return compareCapacities(ctx, runs, threshold, argv);
  const notScenario = runs.find((r) => r.kind !== 'scenario');
  if (notScenario) throw new UsageError(`"report compare" compares scenario runs, or capacity runs; ${notScenario.runId} is a ${notScenario.kind} run${runs[0].kind === 'scenario' ? ' and the first is a scenario run' : ''}`);
  const scenarios = runs as ScenarioResults[];
  const names = new Set(scenarios.map((r) => r.scenario.name));
  if (names.size > 1) throw new UsageError(`the runs are of different scenarios (${[...names].join(', ')}): compare runs of one scenario`);
  const c = compareRuns(scenarios, threshold);
  const dir = argv.out ? path.resolve(String(argv.out)) : runDir(REPORTS_DIR, newRunId(`${scenarios[0].scenario.name}-compare`));
  fs.mkdirSync(dir, { recursive: true });
  const charts = compareCharts(c);
  const pngs = await renderPngs(dir, charts);
  fs.writeFileSync(path.join(dir, 'summary.md'), compareMarkdown(c, pngs));
  fs.writeFileSync(path.join(dir, 'comparison.json'), `${JSON.stringify(c, null, 2)}\n`);
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, comparePage(c, scenarios, charts));
  const pct = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`;
  const rows = c.rows.flatMap((r) => r.runs.map((x) => [r.operation, r.variant, x.run, pct(x.dP50), pct(x.dP99), pct(x.dThroughput), x.regression ? 'REGRESSION' : '']));
  ctx.result({ ...c, report: file }, `${table(['operation', 'variant', 'run', 'Δp50', 'Δp99', 'Δops/s', ''], rows, 3)}\n${c.regressions} regression(s) beyond ${(threshold * 100).toFixed(0)}%\nreport: ${file}`);
  if (argv['fail-on-regression'] && c.regressions > 0) throw new GateError(`${c.regressions} regression(s) beyond ${(threshold * 100).toFixed(0)}% (--fail-on-regression)`, REGRESSION_EXIT_CODE);
}

/** Capacity runs: each design's capacity against the baseline's; a fall beyond the threshold and the search's noise is a regression. */
async function compareCapacities(ctx: CliContext, results: Results[], threshold: number, argv: Record<string, unknown>): Promise<void> {
  const other = results.find((r) => r.kind !== 'capacity');
  if (other) throw new UsageError(`"report compare" compares capacity runs with capacity runs; ${other.runId} is a ${other.kind} run`);
  const runs = results as CapacityResults[];
  const names = new Set(runs.map((r) => r.scenario.name));
  if (names.size > 1) throw new UsageError(`the runs are of different scenarios (${[...names].join(', ')}): compare runs of one scenario`);
  const objectives = new Set(runs.map((r) => formatObjective(r.config.slo)));
  if (objectives.size > 1) throw new UsageError(`the runs searched for different objectives (${[...objectives].join('; ')}): capacities are comparable only under the same --slo`);
  const c = compareCapacity(runs, threshold);
  const dir = argv.out ? path.resolve(String(argv.out)) : runDir(REPORTS_DIR, newRunId(`${c.scenario}-capacity-compare`));
  fs.mkdirSync(dir, { recursive: true });
  const charts = capacityCompareCharts(c);
  const pngs = await renderPngs(dir, charts);
  fs.writeFileSync(path.join(dir, 'summary.md'), capacityCompareMarkdown(c, pngs));
  fs.writeFileSync(path.join(dir, 'comparison.json'), `${JSON.stringify(c, null, 2)}\n`);
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, capacityComparePage(c, runs, charts));
  const t = capacityCompareTable(c);
  ctx.result({ ...c, report: file }, `${table(t.header, t.rows, 2)}\n${c.regressions} capacity regression(s) beyond ${(threshold * 100).toFixed(0)}% at ${c.objective}\nreport: ${file}`);
  if (argv['fail-on-regression'] && c.regressions > 0) throw new GateError(`${c.regressions} capacity regression(s) beyond ${(threshold * 100).toFixed(0)}% (--fail-on-regression)`, REGRESSION_EXIT_CODE);
}
