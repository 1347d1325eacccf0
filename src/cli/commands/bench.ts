// `chatbench bench generator|ingest|replay|all`: chatbench measured against its peers in one run.
import os from 'node:os';
import { benchGenerator } from '../../bench/generator.ts';
import { benchIngest } from '../../bench/ingest.ts';
import { benchReplay } from '../../bench/replay.ts';
import { benchFidelity } from '../../bench/fidelity.ts';
import { benchResults } from '../../bench/common.ts';
import { recordedCommand } from '../../db/redact.ts';
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { parseCount, parseDuration, parseInteger, parseRate } from '../../config/parse.ts';
import { defaultWorkers } from '../../config/scenario.ts';
import { runEnvironment } from '../../db/facts.ts';
import { connectClient } from '../../db/target.ts';
import { loadModel } from '../../generate/model.ts';
import { planParams } from '../../generate/plan.ts';
import { formatCount } from '../../metrics/format.ts';
import { newRunId, runDir, writeResults } from '../../results/io.ts';
import type { BenchComparison } from '../../results/types.ts';
import { renderRun } from '../../report/render.ts';
import { table } from '../../report/terminal.ts';
import { findVariant, loadVariants, type Variant } from '../../schema/variants.ts';
import { ensureSeeded } from '../../seed/ensure.ts';
import type { CommandFactory } from '../app.ts';

const WHICH = ['generator', 'ingest', 'replay', 'fidelity', 'all'] as const;
/** The designs bench fidelity compares: the history page across time partitions, a time read across index kinds. */
const FIDELITY = { page: ['btree-unpartitioned', 'btree-weekly'], day: ['btree-unpartitioned', 'brin-weekly'] } as const;

export const benchCommand: CommandFactory = (ctx) => ({
  command: 'bench [which]',
  describe: 'measure chatbench against its peers (the server, psql \\copy, pgbench) in one run, as ratios',
  builder: (y) =>
    y
      .positional('which', { choices: WHICH, default: 'all', describe: 'which comparison' })
      .option('messages', { type: 'string', describe: 'messages for generator and ingest (default 1M), and for replay data if none is seeded' })
      .option('jobs', { type: 'string', describe: 'ingest: COPY streams (default: number of cores)' })
      .option('concurrency', { type: 'string', describe: 'replay: virtual users / pgbench clients (default 4)' })
      .option('duration', { type: 'string', describe: 'replay and fidelity: time per measurement (default 10s; fidelity 5s)' })
      .option('rate', { type: 'string', describe: 'replay and fidelity: open-loop rate per second (default 500; fidelity 400)' })
      .option('repeats', { type: 'string', describe: 'fidelity: alternations of pgbench and chatbench per comparison (default 3)' })
      .option('workers', { type: 'string', describe: 'replay: chatbench load threads (default: a quarter of the cores, at least 1)' })
      .option('variant', { type: 'string', describe: 'variant whose design ingest and replay use (default btree-unpartitioned)' })
      .option('load-only', { type: 'boolean', default: false, describe: 'ingest: only the load into unindexed tables, psql against the seeder (fits a disk at 100M)' })
      .example('$0 bench ingest --messages 3M', 'chatbench vs psql \\copy, 3 million messages')
      .example('$0 bench replay --concurrency 4 --duration 15s', 'chatbench vs pgbench on history pages'),
  handler: async (argv) => {
    const which = String(argv.which ?? 'all') as (typeof WHICH)[number];
    const messages = argv.messages === undefined ? (which === 'fidelity' ? 2_000_000 : 1_000_000) : parseCount('messages', argv.messages);
    const jobs = argv.jobs === undefined ? os.availableParallelism() : parseInteger('jobs', argv.jobs, 1, 64);
    const concurrency = argv.concurrency === undefined ? 4 : parseInteger('concurrency', argv.concurrency, 1, 256);
    const durationMs = argv.duration === undefined ? (which === 'fidelity' ? 5000 : 10_000) : parseDuration('duration', argv.duration);
    const ratePerSec = argv.rate === undefined ? (which === 'fidelity' ? 400 : 500) : parseRate('rate', argv.rate);
    const repeats = argv.repeats === undefined ? 3 : parseInteger('repeats', argv.repeats, 1, 20);
    const workers = argv.workers === undefined ? defaultWorkers() : parseInteger('workers', argv.workers, 1, 64);
    const variant = findVariant(loadVariants(SCHEMAS_DIR), String(argv.variant ?? 'btree-unpartitioned'));
    const startedAt = new Date();
    const target = await ctx.target();
    const admin = await connectClient(target);
    const comparisons: BenchComparison[] = [];
    const extra: Record<string, unknown> = {};
    try {
      const env = await runEnvironment(target, admin);
      const params = planParams({ messages });
      if (which === 'generator' || which === 'all') {
        const model = await loadModel(params);
        const g = await benchGenerator(model, admin, Math.min(messages, 2_000_000), ctx.log);
        comparisons.push(...g.comparisons);
        extra.generator = g.extra;
      }
      if (which === 'ingest' || which === 'all') {
        ctx.throwIfAborted();
        const i = await benchIngest(target, variant, await loadModel(params), jobs, ctx.log, { loadOnly: Boolean(argv['load-only']) });
        comparisons.push(...i.comparisons);
        extra.ingest = i.extra;
      }
      if (which === 'replay' || which === 'all') {
        ctx.throwIfAborted();
        const seeded = await ensureSeeded(target, [variant], params, { jobs, signal: ctx.signal, onEvent: () => {} });
        ctx.log(`replay: data of ${variant.name}: ${formatCount(seeded.params.messages)} messages${seeded.seeded.length ? ' (seeded now)' : ''}`);
        const r = await benchReplay(target, variant, seeded.model, { concurrency, durationMs, ratePerSec, workers, signal: ctx.signal }, ctx.log);
        comparisons.push(...r.comparisons);
        extra.replay = { ...r.extra, messages: seeded.params.messages };
      }
      if (which === 'fidelity' || which === 'all') {
        ctx.throwIfAborted();
        const all = loadVariants(SCHEMAS_DIR);
        const pick = (names: readonly string[]) => names.map((n) => findVariant(all, n)) as [Variant, Variant];
        const designs = { page: pick(FIDELITY.page), day: pick(FIDELITY.day) };
        const seeded = await ensureSeeded(target, [...new Set([...designs.page, ...designs.day])], params, { jobs, signal: ctx.signal, onEvent: () => {} });
        ctx.log(`fidelity: data of ${[...new Set([...FIDELITY.page, ...FIDELITY.day])].join(', ')}: ${formatCount(seeded.params.messages)} messages${seeded.seeded.length ? ` (seeded now: ${seeded.seeded.join(', ')})` : ''}`);
        const f = await benchFidelity(target, designs, seeded.model, { durationMs, ratePerSec, repeats, signal: ctx.signal }, ctx.log);
        comparisons.push(...f.comparisons);
        extra.fidelity = { ...f.extra, messages: seeded.params.messages };
      }
      const results = benchResults(which, { which, messages, jobs, concurrency, durationMs, ratePerSec, repeats, workers, variant: variant.name }, comparisons, env, startedAt, recordedCommand('npm run bench --', process.argv.slice(3)), extra);
      results.runId = newRunId(`bench-${which}`, startedAt);
      const dir = runDir(REPORTS_DIR, results.runId);
      writeResults(dir, results);
      const report = await renderRun(dir, results);
      const value = (v: number, unit: string) => (unit === 'x' ? `${v.toFixed(2)}x` : `${formatCount(v)} ${unit}`);
      const rows = comparisons.map((c) => [c.name, c.peer, value(c.peerValue, c.unit), value(c.chatbenchValue, c.unit), `${c.ratio.toFixed(2)}x`, c.target === undefined ? '' : `>= ${c.target}x ${c.met ? 'met' : 'NOT met'}`]);
      ctx.result({ schemaVersion: 1, reportDir: dir, comparisons }, `${table(['comparison', 'peer', 'peer value', 'chatbench', 'ratio', 'target'], rows, 2)}\nreport: ${report}`);
    } finally {
      await admin.end().catch(() => {});
    }
  },
});
