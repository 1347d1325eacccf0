// `chatbench bench generator|ingest|replay|fidelity|all`: chatbench measured against its peers in one run.
import { BENCH_WHICH, benchConfig } from '../../config/bench.ts';
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { runBench } from '../../bench/run.ts';
import { recordedCommand } from '../../db/redact.ts';
import { formatRate } from '../../metrics/format.ts';
import { runDir, writeResults } from '../../results/io.ts';
import { renderRun } from '../../report/render.ts';
import { table } from '../../report/terminal.ts';
import { loadVariants } from '../../schema/variants.ts';
import type { CommandFactory } from '../app.ts';

export const benchCommand: CommandFactory = (ctx) => ({
  command: 'bench [which]',
  describe: 'measure chatbench against its peers (the server, psql \\copy, pgbench) in one run, as ratios',
  builder: (y) =>
    y
      .positional('which', { choices: BENCH_WHICH, default: 'all', describe: 'which comparison' })
      .option('messages', { type: 'string', describe: 'messages for generator and ingest (default 1M), and for replay data if none is seeded' })
      .option('jobs', { type: 'string', describe: 'ingest: COPY streams (default: number of cores)' })
      .option('concurrency', { type: 'string', describe: 'replay: virtual users / pgbench clients (default 4)' })
      .option('duration', { type: 'string', describe: 'replay and fidelity: time per measurement (default 10s; fidelity 5s)' })
      .option('rate', { type: 'string', describe: 'replay and fidelity: open-loop rate per second (default 500; fidelity 400)' })
      .option('repeats', { type: 'string', describe: 'fidelity and replay: alternations of pgbench and chatbench per comparison, medians reported (default 3)' })
      .option('workers', { type: 'string', describe: 'replay: chatbench load threads (default: a quarter of the cores, at least 1)' })
      .option('variant', { type: 'string', describe: 'variant whose design ingest and replay use (default btree-unpartitioned)' })
      .option('load-only', { type: 'boolean', default: false, describe: 'ingest: only the load into unindexed tables, psql against the seeder (fits a disk at 100M)' })
      .example('$0 bench ingest --messages 3M', 'chatbench vs psql \\copy, 3 million messages')
      .example('$0 bench replay --concurrency 4 --duration 15s', 'chatbench vs pgbench on history pages'),
  handler: async (argv) => {
    const cfg = benchConfig(argv, loadVariants(SCHEMAS_DIR));
    const target = await ctx.target();
    const results = await runBench(target, cfg, { signal: ctx.signal, log: ctx.log, command: recordedCommand('npm run bench --', process.argv.slice(3)) });
    const dir = runDir(REPORTS_DIR, results.runId);
    writeResults(dir, results);
    const report = await renderRun(dir, results);
    const value = (v: number, unit: string) => (unit === 'x' ? `${v.toFixed(2)}x` : `${formatRate(v)} ${unit}`);
    const rows = results.comparisons.map((c) => [c.name, c.peer, value(c.peerValue, c.unit), value(c.chatbenchValue, c.unit), `${c.ratio.toFixed(2)}x`, c.target === undefined ? '' : `>= ${c.target}x ${c.met ? 'met' : 'NOT met'}`]);
    ctx.result({ schemaVersion: 1, reportDir: dir, comparisons: results.comparisons }, `${table(['comparison', 'peer', 'peer value', 'chatbench', 'ratio', 'target'], rows, 2)}\nreport: ${report}`);
  },
});
