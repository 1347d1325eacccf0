// `chatbench growth NAME --messages 1M,10M,100M`: the same scenario on each design at several data
// sizes (seeding what is missing, one database per size), fitted against size on log-log axes.
import fs from 'node:fs';
import path from 'node:path';
import { growthConfig } from '../../config/growth.ts';
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { targetSpec } from '../../config/target.ts';
import { EMBEDDED_DATABASE, embeddedStatus } from '../../db/embedded.ts';
import { recordedCommand } from '../../db/redact.ts';
import { InterruptedError } from '../../errors.ts';
import { DISK_MARGIN, notEnoughDisk } from '../../growth/plan.ts';
import { estimateGrowth, inspectGrowth, planLines, runGrowth, serverCalibrator } from '../../growth/run.ts';
import { formatBytes, formatMs, shortCount } from '../../metrics/format.ts';
import { growthSummaryJson, growthTerminal } from '../../report/growth.ts';
import { renderRun } from '../../report/render.ts';
import { runDir, writeResults } from '../../results/io.ts';
import { loadScenario, scenarioFile, scenarioNames } from '../../scenario/engine.ts';
import { loadVariants } from '../../schema/variants.ts';
import { freeBytes } from '../../seed/estimate.ts';
import type { CommandFactory } from '../app.ts';
import { growthEvents } from '../events/growth.ts';
import { ProgressLine } from '../progress.ts';

export const growthCommand: CommandFactory = (ctx) => ({
  command: 'growth <name>',
  describe: `how each design's latency, throughput and size grow with the data (log-log fits, projections): ${scenarioNames().join(', ')}`,
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'the scenario (scenarios/<name>.ts, or a path to a scenario file)' })
      .option('messages', { type: 'string', describe: 'the data sizes, two or more: 1M,10M,100M' })
      .option('variants', { type: 'string', describe: 'designs: a,b or all (default all)' })
      .option('project', { type: 'string', describe: 'extend the fits to this size, drawn dashed and labelled extrapolation: 1B' })
      .option('free-after', { type: 'string', describe: 'drop each design\'s data at these sizes once measured (sizes from --messages, or all); data there before the run is kept' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan (sizes, disk each needs, time) and refuse what does not fit; seed and measure nothing' })
      .option('duration', { type: 'string', describe: 'measured time per size and design (default: the scenario\'s)' })
      .option('warmup', { type: 'string', describe: 'warm-up per size and design (default: the scenario\'s)' })
      .option('concurrency', { type: 'string', describe: 'closed loop: this many virtual users' })
      .option('rate', { type: 'string', describe: 'open loop: operations per second' })
      .option('arrivals', { type: 'string', describe: 'open loop arrivals: poisson or uniform' })
      .option('connections', { type: 'string', describe: 'connections per design (default: one per virtual user, at most 64)' })
      .option('op-timeout', { type: 'string', describe: 'cancel an operation after this long (57014)' })
      .option('max-lag', { type: 'string', describe: 'open loop: drop operations that could not start within this lag' })
      .option('workers', { type: 'string', describe: 'load threads, each with its own connections and clock (default: a quarter of the cores, at least 1)' })
      .option('rounds', { type: 'string', describe: 'split each measurement into this many rounds, each after the harness floor (default 1)' })
      .option('plan-cache', { type: 'string', describe: 'plan_cache_mode of the prepared statements: auto (default), custom or generic' })
      .option('seed', { type: 'string', describe: 'seed of the parameter sequence (default: the data\'s seed)' })
      .option('explain', { type: 'boolean', describe: 'one EXPLAIN per operation at every size (default: on for measurements up to 60s)' })
      .option('jobs', { type: 'string', describe: 'parallel COPY streams when seeding (default: number of cores)' })
      .option('out', { type: 'string', describe: 'folder for results.json and the report (default reports/<run-id>)' })
      .conflicts('rate', 'concurrency')
      .example('$0 growth history-scroll --messages 100K,1M,10M --variants btree-unpartitioned,btree-weekly --project 1B', 'three sizes, two designs, projected to a billion messages')
      .example('$0 growth history-scroll --messages 1M,10M,100M --free-after 100M --dry-run', 'the plan: disk and time per size, what is reused'),
  handler: async (argv) => {
    const scenario = await loadScenario(String(argv.name));
    const cfg = growthConfig(argv, scenario, scenarioFile(String(argv.name)), loadVariants(SCHEMAS_DIR));
    const g = cfg.growth;
    const spec = targetSpec(ctx.globals.db, ctx.env);
    const canConnect = spec.kind === 'url' || embeddedStatus(spec.paths).initialised;
    const target = canConnect ? await ctx.target() : null;
    const baseDatabase = target?.params.database ?? EMBEDDED_DATABASE;
    const home = spec.kind === 'embedded' ? spec.paths.home : undefined;
    const free = home ? freeBytes(fs.existsSync(home) ? home : path.dirname(home)) ?? null : null;
    ctx.log(`growth of ${scenario.name} on ${g.variants.map((v) => v.name).join(', ')} at ${g.sizes.map(shortCount).join(', ')} messages: looking for data already seeded and estimating the rest...`);
    const inspected = await inspectGrowth(target, g, baseDatabase);
    const plan = await estimateGrowth(inspected, g, free, cfg.dryRun && target ? serverCalibrator(target) : undefined);
    const where = home ?? 'the server';
    const summary = [
      `plan (${plan.items.length} measurements, in this order):`,
      ...planLines(plan),
      `disk: ~${formatBytes(plan.peakBytes)} more at the peak (x${DISK_MARGIN} margin: ${formatBytes(plan.peakBytes * DISK_MARGIN)}); free: ${plan.freeBytes === null ? 'unknown (a server given by URL)' : formatBytes(plan.freeBytes)}${plan.fits ? '' : '  << NOT ENOUGH'}`,
      `time: ~${formatMs(plan.seconds * 1000)} (seeds from the seeder's estimate${cfg.dryRun && target ? ', calibrated on this server' : ''}, measurements of ${formatMs(g.run.warmupMs + g.run.durationMs)} each plus overhead)`,
    ];
    if (cfg.dryRun) {
      ctx.result({ schemaVersion: 1, dryRun: true, sizes: g.sizes, variants: g.variants.map((v) => v.name), plan }, summary.join('\n'));
      if (!plan.fits) throw notEnoughDisk(plan, where);
      return;
    }
    if (!plan.fits) throw notEnoughDisk(plan, where);
    const base = target ?? (await ctx.target());
    const progress = new ProgressLine(process.stderr, ctx.interactive, ctx.globals.quiet, 5000);
    progress.log(summary.join('\n'));
    const onEvent = growthEvents(progress);
    const name = String(argv.name);
    const command = recordedCommand(`npm run growth ${name} --`, process.argv.slice(3).filter((a) => a !== name));
    const results = await runGrowth(base, g, plan, baseDatabase, ctx.signal, onEvent, command);
    progress.clear();
    const dir = cfg.out ? path.resolve(cfg.out) : runDir(REPORTS_DIR, results.runId);
    writeResults(dir, results);
    const report = await renderRun(dir, results);
    ctx.result(growthSummaryJson(results, dir, report), `${growthTerminal(results)}${results.partial ? '\ninterrupted: partial results' : ''}\nreport: ${report}`);
    if (results.partial) throw new InterruptedError(`interrupted: partial results written to ${dir}`);
  },
});
