// `chatbench scenario NAME`: replays a chat workload against each variant and compares them.
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { scenarioConfig } from '../../config/scenario.ts';
import { formatCount, formatUs } from '../../metrics/format.ts';
import { withMeasuringPriority } from '../../metrics/priority.ts';
import { runDir, writeResults } from '../../results/io.ts';
import { renderRun } from '../../report/render.ts';
import { recordedCommand } from '../../db/redact.ts';
import { loadScenario, runScenario, scenarioFile, scenarioNames, type RunEvent } from '../../scenario/engine.ts';
import { loadVariants } from '../../schema/variants.ts';
import type { CommandFactory } from '../app.ts';
import { ProgressLine } from '../progress.ts';
import { GATE_EXIT_CODE, GateError, InterruptedError } from '../../errors.ts';
import { describeChecks, formatObjective, sloMet } from '../../metrics/slo.ts';
import { scenarioSummaryJson, scenarioSummaryText } from '../../report/summary.ts';
import path from 'node:path';

export const scenarioCommand: CommandFactory = (ctx) => ({
  command: 'scenario <name>',
  describe: `replay a chat workload against each variant: ${scenarioNames().join(', ')}`,
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'the scenario (scenarios/<name>.ts)' })
      .option('variants', { type: 'string', describe: 'variants to compare: a,b or all (default: all seeded ones)' })
      .option('duration', { type: 'string', describe: 'measured time per variant: 30s, 5m (default: the scenario\'s)' })
      .option('warmup', { type: 'string', describe: 'warm-up per variant, not measured (default: the scenario\'s)' })
      .option('concurrency', { type: 'string', describe: 'closed loop: this many virtual users, each waiting for its answer' })
      .option('rate', { type: 'string', describe: 'open loop: operations per second, latency from the scheduled start' })
      .option('arrivals', { type: 'string', describe: 'open loop arrivals: poisson or uniform (default poisson)' })
      .option('op-timeout', { type: 'string', describe: 'cancel an operation after this long (statement_timeout); it counts as failed with 57014' })
      .option('max-lag', { type: 'string', describe: 'open loop: drop operations that could not start within this lag (default: never)' })
      .option('connections', { type: 'string', describe: 'connections per variant (default: one per virtual user, at most 64)' })
      .option('workers', { type: 'string', describe: 'load threads, each with its own connections and clock (default: a quarter of the cores, at least 1)' })
      .option('rounds', { type: 'string', describe: 'interleave the variants this many times (A B, B A, ...), splitting --duration (default: 3 when each round gets 3s)' })
      .option('plan-cache', { type: 'string', describe: 'plan_cache_mode of the prepared statements: auto (the server decides after 5 runs), custom or generic' })
      .option('seed', { type: 'string', describe: 'seed of the parameter sequence (default: the data\'s seed)' })
      .option('explain', { type: 'boolean', describe: 'one EXPLAIN (ANALYZE, BUFFERS) per operation (default: on for runs up to 60s)' })
      .option('retention-method', { type: 'string', describe: 'retention: delete, detach (default: one transaction, locks up front) or detach-concurrently (DETACH PARTITION ... CONCURRENTLY, then DROP); variants without range partitions always delete' })
      .option('mode', { type: 'string', describe: 'load (default) or micro: each query alone, sequentially, with tinybench' })
      .option('out', { type: 'string', describe: 'folder for results.json and the report (default reports/<run-id>)' })
      .option('slo', { type: 'string', describe: `a latency objective checked per variant at the end: p99<50ms, p99.9(send)<200ms, comma-separated; exit ${GATE_EXIT_CODE} when one misses` })
      .conflicts('rate', 'concurrency')
      .example('$0 scenario history-scroll --variants btree-unpartitioned,btree-weekly --duration 10s', 'compare two layouts')
      .example('$0 scenario chat-mix --rate 500 --duration 1m', 'open loop at 500 operations/s')
      .example('$0 scenario retention --variants btree-unpartitioned,btree-weekly --retention-method detach-concurrently', 'purge a month without stopping readers')
      .example("$0 scenario chat-mix --rate 500 --slo 'p99<50ms,p99.9(send)<200ms'", 'gate on a latency objective (exit 3 when a variant misses it)'),
  handler: async (argv) => {
    const allVariants = loadVariants(SCHEMAS_DIR);
    const scenario = await loadScenario(String(argv.name));
    const cfg = scenarioConfig(argv, scenario, scenarioFile(String(argv.name)), allVariants);
    const target = await ctx.target();
    const progress = new ProgressLine(process.stderr, ctx.interactive, ctx.globals.quiet, 5000);
    const onEvent = (e: RunEvent) => {
      if (e.type === 'log') progress.log(e.message);
      else if (e.type === 'phase') progress.update(`${e.variant}: ${e.phase}${e.round !== undefined && cfg.run.rounds > 1 ? ` (round ${e.round + 1} of ${cfg.run.rounds})` : ''}...`, true);
      else if (e.type === 'second') {
        progress.update(`${e.variant}: ${e.phase} ${(e.elapsedMs / 1000).toFixed(0)}s  ${formatCount(e.ops)} ops/s  p99 ${formatUs(e.p99Us)}  errors ${e.errors}`);
      } else if (e.type === 'variant-done') {
        const r = e.result;
        progress.log(`${e.variant}: ${formatCount(Math.round(r.throughputPerSec))} ops/s, ${r.operations.map((o) => `${o.name} p99 ${formatUs(o.latencyUs.p99)}`).join(', ')}`);
      }
    };
    const command = recordedCommand(`npm run scenario ${String(argv.name)} --`, process.argv.slice(3).filter((a) => a !== String(argv.name)));
    const results = await withMeasuringPriority(() => runScenario(target, cfg.run, ctx.signal, onEvent, { command }), (m) => progress.log(m));
    progress.clear();
    const dir = cfg.out ? path.resolve(cfg.out) : runDir(REPORTS_DIR, results.runId);
    writeResults(dir, results);
    const report = await renderRun(dir, results);
    ctx.result(scenarioSummaryJson(results, dir), scenarioSummaryText(results, report));
    if (results.partial) throw new InterruptedError(`interrupted: partial results written to ${dir}`);
    const missed = results.variants.filter((v) => v.slo && !sloMet(v.slo));
    if (missed.length) throw new GateError(`${missed.map((v) => v.variant).join(', ')} missed ${formatObjective(cfg.run.slo!)} (--slo): ${missed.map((v) => `${v.variant} ${describeChecks(v.slo!)}`).join('; ')}`, GATE_EXIT_CODE);
  },
});
