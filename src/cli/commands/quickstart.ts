// `npm start`: the quickstart. Seeds a small data set into two variants (or uses what is there),
// runs history-scroll on both, writes the report and prints its path.
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { scenarioRunConfig } from '../../config/scenario.ts';
import { planParams } from '../../generate/plan.ts';
import { formatCount, formatUs } from '../../metrics/format.ts';
import { withMeasuringPriority } from '../../metrics/priority.ts';
import { runDir, writeResults } from '../../results/io.ts';
import { renderRun } from '../../report/render.ts';
import { terminalTable } from '../../report/terminal.ts';
import { loadScenario, runScenario, scenarioFile } from '../../scenario/engine.ts';
import { findVariant, loadVariants } from '../../schema/variants.ts';
import { ensureSeeded } from '../../seed/ensure.ts';
import type { CommandFactory } from '../app.ts';
import { ProgressLine } from '../progress.ts';
import os from 'node:os';

const QUICKSTART = { messages: 100_000, variants: ['btree-unpartitioned', 'btree-weekly'], scenario: 'history-scroll', durationMs: 5000, warmupMs: 2000 };

export const quickstartCommand: CommandFactory = (ctx) => ({
  command: 'quickstart',
  describe: `the quickstart (npm start): seed ${formatCount(QUICKSTART.messages)} messages into ${QUICKSTART.variants.join(' and ')}, run ${QUICKSTART.scenario}, write a report`,
  builder: (y) => y,
  handler: async () => {
    const all = loadVariants(SCHEMAS_DIR);
    const variants = QUICKSTART.variants.map((n) => findVariant(all, n));
    const scenario = await loadScenario(QUICKSTART.scenario);
    const cfg = scenarioRunConfig({ variants, durationMs: QUICKSTART.durationMs, warmupMs: QUICKSTART.warmupMs }, scenario, scenarioFile(QUICKSTART.scenario), all);
    const target = await ctx.target();
    const progress = new ProgressLine(process.stderr, ctx.interactive, ctx.globals.quiet, 3000);
    progress.log(`chatbench quickstart on ${target.display}`);
    const seeded = await ensureSeeded(target, variants, planParams({ messages: QUICKSTART.messages }), {
      jobs: os.availableParallelism(),
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.phase === 'end') progress.log(`seed ${e.variant}: ${e.step} ${Math.round(e.ms ?? 0)} ms`);
      },
    });
    progress.log(seeded.reused.length ? `using the data already seeded in ${seeded.reused.join(', ')} (${formatCount(seeded.params.messages)} messages)` : `seeded ${formatCount(seeded.params.messages)} messages into ${seeded.seeded.join(', ')}`);
    const command = `npm run scenario ${scenario.name} -- --variants ${QUICKSTART.variants.join(',')} --duration ${QUICKSTART.durationMs / 1000}s --warmup ${QUICKSTART.warmupMs / 1000}s`;
    const results = await withMeasuringPriority(() => runScenario(target, cfg.run, ctx.signal, (e) => {
      if (e.type === 'log') progress.log(e.message);
      else if (e.type === 'second') progress.update(`${e.variant}: ${e.phase} ${(e.elapsedMs / 1000).toFixed(0)}s ${formatCount(e.ops)} ops/s p99 ${formatUs(e.p99Us)}`);
      else if (e.type === 'variant-done') progress.log(`${e.variant}: ${formatCount(e.result.throughputPerSec)} ops/s`);
    }, { command, name: `quickstart-${scenario.name}` }), (m) => progress.log(m));
    progress.clear();
    const dir = runDir(REPORTS_DIR, results.runId);
    writeResults(dir, results);
    const report = await renderRun(dir, results);
    ctx.result({ schemaVersion: 1, reportDir: dir, report, variants: QUICKSTART.variants }, `${terminalTable(results)}\n\nreport: ${report}\nnext: npm run seed -- --messages 1M, then npm run scenario chat-mix (see README.md)`);
  },
});
