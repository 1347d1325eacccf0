// `chatbench capacity NAME --slo p99<50ms`: the highest offered load each design carries under a
// latency objective, found by an open-loop search; results, report, and the verdict on stdout.
import path from 'node:path';
import { capacityConfig, CAPACITY_DEFAULTS } from '../../config/capacity.ts';
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { runCapacity } from '../../capacity/run.ts';
import { recordedCommand } from '../../db/redact.ts';
import { InterruptedError } from '../../errors.ts';
import { formatCount, formatMs } from '../../metrics/format.ts';
import { withMeasuringPriority } from '../../metrics/priority.ts';
import { formatObjective } from '../../metrics/slo.ts';
import { capacitySummaryJson, capacityTerminal } from '../../report/capacity.ts';
import { renderRun } from '../../report/render.ts';
import { runDir, writeResults } from '../../results/io.ts';
import { loadScenario, scenarioFile, scenarioNames } from '../../scenario/engine.ts';
import { loadVariants } from '../../schema/variants.ts';
import type { CommandFactory } from '../app.ts';
import { capacityEvents } from '../events/capacity.ts';
import { ProgressLine } from '../progress.ts';

export const capacityCommand: CommandFactory = (ctx) => ({
  command: 'capacity <name>',
  describe: `the highest load each design carries under a latency objective (open-loop search): ${scenarioNames().join(', ')}`,
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'the scenario (scenarios/<name>.ts, or a path to a scenario file)' })
      .option('slo', { type: 'string', describe: 'the objective each rate must meet: p99<50ms, p99.9(send)<200ms, several comma-separated' })
      .option('variants', { type: 'string', describe: 'designs to search: a,b or all (default: all seeded ones)' })
      .option('max-error-rate', { type: 'string', describe: `errors a step may have, as a share of completed operations (default ${CAPACITY_DEFAULTS.maxErrorRate * 100}%)` })
      .option('max-drop-rate', { type: 'string', describe: `operations not started in time a step may have (default ${CAPACITY_DEFAULTS.maxDropRate * 100}%)` })
      .option('step', { type: 'string', describe: `measured time per step (default ${CAPACITY_DEFAULTS.stepMs / 1000}s)` })
      .option('warmup', { type: 'string', describe: 'warm-up before each step, not measured (default: the scenario\'s, at most a step)' })
      .option('start-rate', { type: 'string', describe: `first rate offered, operations per second (default ${CAPACITY_DEFAULTS.startRatePerSec})` })
      .option('max-rate', { type: 'string', describe: `never offer more than this (default ${formatCount(CAPACITY_DEFAULTS.maxRatePerSec)})` })
      .option('resolution', { type: 'string', describe: `stop when the last good and first bad rates are this close (default ${CAPACITY_DEFAULTS.resolution * 100}%)` })
      .option('max-steps', { type: 'string', describe: `steps per design at most (default ${CAPACITY_DEFAULTS.maxSteps})` })
      .option('connections', { type: 'string', describe: 'connections per design (default: the scenario\'s users, at most 64)' })
      .option('arrivals', { type: 'string', describe: 'poisson (default) or uniform' })
      .option('max-lag', { type: 'string', describe: 'drop operations that could not start within this lag (default: never)' })
      .option('op-timeout', { type: 'string', describe: 'cancel an operation after this long; it counts as failed with 57014' })
      .option('workers', { type: 'string', describe: 'load threads, each with its own connections and clock (default: a quarter of the cores, at least 1)' })
      .option('plan-cache', { type: 'string', describe: 'plan_cache_mode of the prepared statements: auto (default), custom or generic' })
      .option('seed', { type: 'string', describe: 'seed of the parameter sequence (default: the data\'s seed)' })
      .option('out', { type: 'string', describe: 'folder for results.json and the report (default reports/<run-id>)' })
      .example("$0 capacity chat-mix --slo 'p99<50ms' --variants btree-monthly,brin-weekly", 'how much chat-mix load each design carries at p99 < 50 ms')
      .example("$0 capacity chat-mix --slo 'p99<50ms,p99.9(send)<200ms' --step 1m", 'two objectives at once, longer steps'),
  handler: async (argv) => {
    const scenario = await loadScenario(String(argv.name));
    const cfg = capacityConfig(argv, scenario, scenarioFile(String(argv.name)), loadVariants(SCHEMAS_DIR));
    const target = await ctx.target();
    const progress = new ProgressLine(process.stderr, ctx.interactive, ctx.globals.quiet, 5000);
    const objective = formatObjective(cfg.capacity.slo);
    progress.log(`capacity of ${scenario.name} at ${objective}, open loop on ${cfg.capacity.connections} connections, steps of ${formatMs(cfg.capacity.stepMs)} (+${formatMs(cfg.capacity.warmupMs)} warm-up)`);
    const onEvent = capacityEvents(progress);
    const name = String(argv.name);
    const command = recordedCommand(`npm run capacity ${name} --`, process.argv.slice(3).filter((a) => a !== name));
    const results = await withMeasuringPriority(() => runCapacity(target, cfg.capacity, ctx.signal, onEvent, command), ctx.log);
    progress.clear();
    const dir = cfg.out ? path.resolve(cfg.out) : runDir(REPORTS_DIR, results.runId);
    writeResults(dir, results);
    const report = await renderRun(dir, results);
    ctx.result(capacitySummaryJson(results, dir, report), `${capacityTerminal(results)}${results.partial ? '\ninterrupted: partial results' : ''}\nreport: ${report}`);
    if (results.partial) throw new InterruptedError(`interrupted: partial results written to ${dir}`);
  },
});
