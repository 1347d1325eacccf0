// `chatbench report compare A B [...]`: scenario runs (latency and throughput against the baseline)
// or capacity runs (capacity against the baseline's); --fail-on-regression gates CI on either.
import fs from 'node:fs';
import path from 'node:path';
import { REPORTS_DIR } from '../../config/paths.ts';
import { parseFraction } from '../../config/parse.ts';
import { GATE_EXIT_CODE, GateError, ResultsError, UsageError } from '../../errors.ts';
import { formatObjective } from '../../metrics/slo.ts';
import { capacityCompareCharts, capacityCompareMarkdown, capacityComparePage, capacityCompareTable, compareCapacity } from '../../report/capacity.ts';
import { compareCharts, compareMarkdown, comparePage, compareRuns, writeComparison } from '../../report/compare.ts';
import { table } from '../../report/terminal.ts';
import { newRunId } from '../../results/envelope.ts';
import { readResults, runDir } from '../../results/io.ts';
import type { CapacityResults, Results, ScenarioResults } from '../../results/types.ts';
import type { CliContext } from '../context.ts';

/** A run's results for the CLI: a missing folder or an unreadable file is a usage error, in one line. */
export function readRun(dir: string) {
  if (!fs.existsSync(dir)) throw new UsageError(`no such run folder: ${dir} (see "report list")`);
  try {
    return readResults(dir);
  } catch (e) {
    if (e instanceof ResultsError) throw new UsageError(e.message);
    throw e;
  }
}

export async function compare(ctx: CliContext, dirs: string[], argv: Record<string, unknown>): Promise<void> {
  if (dirs.length < 2) throw new UsageError('"report compare" needs two or more run folders: the first is the baseline');
  const threshold = argv.threshold === undefined ? 0.1 : parseFraction('threshold', argv.threshold);
  const runs = dirs.map((d) => readRun(d));
  if (runs[0].kind === 'capacity') return compareCapacities(ctx, runs, threshold, argv);
  const notScenario = runs.find((r) => r.kind !== 'scenario');
  if (notScenario) throw new UsageError(`"report compare" compares scenario runs, or capacity runs; ${notScenario.runId} is a ${notScenario.kind} run${runs[0].kind === 'scenario' ? ' and the first is a scenario run' : ''}`);
  const scenarios = runs as ScenarioResults[];
  oneScenario(scenarios);
  const c = compareRuns(scenarios, threshold);
  const charts = compareCharts(c);
  const file = await writeComparison(compareDir(argv, `${scenarios[0].scenario.name}-compare`), c, charts, (pngs) => compareMarkdown(c, pngs), comparePage(c, scenarios, charts));
  const pct = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`;
  const rows = c.rows.flatMap((r) => r.runs.map((x) => [r.operation, r.variant, x.run, pct(x.dP50), pct(x.dP99), pct(x.dThroughput), x.regression ? 'REGRESSION' : '']));
  ctx.result({ ...c, report: file }, `${table(['operation', 'variant', 'run', 'Δp50', 'Δp99', 'Δops/s', ''], rows, 3)}\n${c.regressions} regression(s) beyond ${(threshold * 100).toFixed(0)}%\nreport: ${file}`);
  if (argv['fail-on-regression'] && c.regressions > 0) throw new GateError(`${c.regressions} regression(s) beyond ${(threshold * 100).toFixed(0)}% (--fail-on-regression)`, GATE_EXIT_CODE);
}

/** Capacity runs: each design's capacity against the baseline's; a fall beyond the threshold and the search's noise is a regression. */
async function compareCapacities(ctx: CliContext, results: Results[], threshold: number, argv: Record<string, unknown>): Promise<void> {
  const other = results.find((r) => r.kind !== 'capacity');
  if (other) throw new UsageError(`"report compare" compares capacity runs with capacity runs; ${other.runId} is a ${other.kind} run`);
  const runs = results as CapacityResults[];
  oneScenario(runs);
  const objectives = new Set(runs.map((r) => formatObjective(r.config.slo)));
  if (objectives.size > 1) throw new UsageError(`the runs searched for different objectives (${[...objectives].join('; ')}): capacities are comparable only under the same --slo`);
  const c = compareCapacity(runs, threshold);
  const charts = capacityCompareCharts(c);
  const file = await writeComparison(compareDir(argv, `${c.scenario}-capacity-compare`), c, charts, (pngs) => capacityCompareMarkdown(c, pngs), capacityComparePage(c, runs, charts));
  const t = capacityCompareTable(c);
  ctx.result({ ...c, report: file }, `${table(t.header, t.rows, 2)}\n${c.regressions} capacity regression(s) beyond ${(threshold * 100).toFixed(0)}% at ${c.objective}\nreport: ${file}`);
  if (argv['fail-on-regression'] && c.regressions > 0) throw new GateError(`${c.regressions} capacity regression(s) beyond ${(threshold * 100).toFixed(0)}% (--fail-on-regression)`, GATE_EXIT_CODE);
}

function oneScenario(runs: Array<ScenarioResults | CapacityResults>): void {
  const names = new Set(runs.map((r) => r.scenario.name));
  if (names.size > 1) throw new UsageError(`the runs are of different scenarios (${[...names].join(', ')}): compare runs of one scenario`);
}

/** --out, or a new folder under reports/ named after the comparison. */
function compareDir(argv: Record<string, unknown>, name: string): string {
  return argv.out ? path.resolve(String(argv.out)) : runDir(REPORTS_DIR, newRunId(name));
}
