// `chatbench growth NAME --messages 1M,10M,100M`: the same scenario on each design at several data
// sizes (seeding what is missing, one database per size), fitted against size on log-log axes.
import fs from 'node:fs';
import path from 'node:path';
import { growthConfig } from '../../config/growth.ts';
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { targetSpec } from '../../config/target.ts';
import { EMBEDDED_DATABASE, embeddedStatus } from '../../db/embedded.ts';
import { recordedCommand } from '../../db/redact.ts';
import { InterruptedError, RuntimeError } from '../../errors.ts';
import { DISK_MARGIN, freeAfterThatFits, type GrowthPlan } from '../../growth/plan.ts';
import { estimateGrowth, inspectGrowth, planLines, runGrowth, serverCalibrator, type GrowthEvent } from '../../growth/run.ts';
import { formatBytes, formatCount, formatMs, formatUs, shortCount } from '../../metrics/format.ts';
import { growthHeadline, growthTerminal } from '../../report/growth.ts';
import { renderRun } from '../../report/render.ts';
import { newRunId, runDir, writeResults } from '../../results/io.ts';
import { loadScenario, scenarioFile, scenarioNames } from '../../scenario/registry.ts';
import { loadVariants } from '../../schema/variants.ts';
import { progressText } from '../../seed/describe.ts';
import { freeBytes } from '../../seed/estimate.ts';
import type { CommandFactory } from '../app.ts';
import { ProgressLine } from '../progress.ts';

/** The refusal when the plan does not fit, with the --free-after that would make it fit. */
function notEnoughDisk(plan: GrowthPlan, where: string): RuntimeError {
  const need = formatBytes(plan.peakBytes * DISK_MARGIN);
  const fix = plan.freeBytes === null ? null : freeAfterThatFits(plan.items.map((i) => ({ ...i, free: false })), plan.freeBytes);
  const advice = fix === null
    ? 'even dropping every size once measured does not fit: measure fewer or smaller sizes, or free disk'
    : `add --free-after ${fix.map(shortCount).join(',')} to drop each design's data at ${fix.length > 1 ? 'those sizes' : 'that size'} once measured (data that was there before is never dropped)`;
  return new RuntimeError(`not enough disk: this growth run needs about ${need} at its peak and ${where} has ${formatBytes(plan.freeBytes ?? 0)} free: ${advice} (see --dry-run)`);
}

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
    let label = '';
    let worstP99Us = 0;
    const onEvent = (e: GrowthEvent) => {
      if (e.type === 'log') progress.log(e.message);
      else if (e.type === 'item') {
        label = `[${e.index + 1}/${e.total}] ${shortCount(e.item.messages)} ${e.item.variant}`;
        worstP99Us = 0;
        progress.log(`${label}: ${e.item.state === 'reuse' ? `reusing the seed in ${e.item.database}` : `${e.item.state === 'resume' ? 'resuming the seed' : 'seeding'} into ${e.item.database}`}; ETA ${formatMs(e.etaMs)}`);
      } else if (e.type === 'seed') {
        const s = e.event;
        if (s.type === 'progress') progress.update(`${label}: seeding, ${progressText(s.progress)}`);
        else if (s.type === 'step' && s.phase === 'end') progress.log(`${label}: seed ${s.step} ${formatMs(s.ms ?? 0)}`);
        else if (s.type === 'step') progress.update(`${label}: seed ${s.step}...`);
        else if (s.type === 'log') progress.log(s.message);
      } else if (e.type === 'second') {
        if (e.phase === 'measure') worstP99Us = Math.max(worstP99Us, e.p99Us);
        progress.update(`${label}: ${e.phase} ${(e.elapsedMs / 1000).toFixed(0)}/${(e.durationMs / 1000).toFixed(0)} s  ${formatCount(e.ops)} ops/s  p99 ${formatUs(e.p99Us)} last second${e.phase === 'measure' ? `, at most ${formatUs(worstP99Us)} so far` : ''}  ETA ${formatMs(e.etaMs)}`);
      } else if (e.type === 'point') {
        const p = e.point;
        progress.log(`${label}: ${formatCount(p.throughputPerSec)} ops/s, ${p.operations.filter((o) => o.ok).map((o) => `${o.name} p50 ${formatUs(o.p50Us)} p99 ${formatUs(o.p99Us)}`).join(', ')}; indexes ${formatBytes(p.bytes.indexes)}${p.fitsSharedBuffers === false ? ' (beyond shared_buffers)' : ''}`);
      } else progress.log(`${label}: dropped once measured (--free-after)`);
    };
    const name = String(argv.name);
    const command = recordedCommand(`npm run growth ${name} --`, process.argv.slice(3).filter((a) => a !== name));
    const results = await runGrowth(base, g, plan, baseDatabase, ctx.signal, onEvent, command);
    progress.clear();
    results.runId = newRunId(`${scenario.name}-growth`, new Date(results.startedAt));
    const dir = cfg.out ? path.resolve(cfg.out) : runDir(REPORTS_DIR, results.runId);
    writeResults(dir, results);
    const report = await renderRun(dir, results);
    ctx.result(
      {
        schemaVersion: 1,
        reportDir: dir,
        report,
        scenario: scenario.name,
        partial: results.partial,
        headline: growthHeadline(results),
        points: results.points.map((p) => ({ variant: p.variant, messages: p.messages, database: p.database, reused: p.seed.reused, freed: p.seed.freed, seedMs: p.seed.totalMs, throughputPerSec: p.throughputPerSec, operations: p.operations, bytes: p.bytes, fitsSharedBuffers: p.fitsSharedBuffers, fitsMemory: p.fitsMemory })),
        fits: results.fits.map(({ variant, metric, n, exponent, exponentLow, exponentHigh, r2 }) => ({ variant, metric, n, exponent, exponentLow, exponentHigh, r2 })),
        projections: results.projections,
        crossings: results.crossings,
      },
      `${growthTerminal(results)}${results.partial ? '\ninterrupted: partial results' : ''}\nreport: ${report}`,
    );
    if (results.partial) throw new InterruptedError(`interrupted: partial results written to ${dir}`);
  },
});
