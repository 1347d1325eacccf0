// `chatbench seed`: streams deterministic chat data through COPY into each chosen variant.
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { seedConfig, DEFAULT_MESSAGES } from '../../config/seed.ts';
import { targetSpec } from '../../config/target.ts';
import { embeddedStatus } from '../../db/embedded.ts';
import { recordedCommand } from '../../db/redact.ts';
import { DEFAULT_DAYS, DEFAULT_SEED } from '../../generate/defaults.ts';
import { DISTRIBUTION } from '../../generate/model.ts';
import { shortCount } from '../../metrics/format.ts';
import { runDir, writeResults } from '../../results/io.ts';
import { renderRun } from '../../report/render.ts';
import { loadVariants } from '../../schema/variants.ts';
import { estimateLines, estimateSummary, planLines, progressText, summaryLines } from '../../seed/describe.ts';
import { prepareSeed } from '../../seed/prepare.ts';
import { seedResults, seedVariants, type SeedEvent } from '../../seed/seed.ts';
import type { CommandFactory } from '../app.ts';
import { ProgressLine } from '../progress.ts';

export const seedCommand: CommandFactory = (ctx) => ({
  command: 'seed',
  describe: 'generate chat data and COPY it into each variant (deterministic, resumable)',
  builder: (y) =>
    y
      .option('messages', { type: 'string', describe: `messages to load: 5000, 250K, 2.5M, 100M, 1B (default ${shortCount(DEFAULT_MESSAGES)})` })
      .option('users', { type: 'string', describe: `users (default messages/${DISTRIBUTION.messagesPerUser})` })
      .option('servers', { type: 'string', describe: `servers (default users/${DISTRIBUTION.usersPerServer})` })
      .option('days', { type: 'string', describe: `days of history (default ${DEFAULT_DAYS})` })
      .option('start', { type: 'string', describe: 'first day of the data (default 2026-01-01)' })
      .option('variants', { type: 'string', describe: 'variants to seed: a,b or all (default: the designs that contrast most, as many as the disk holds)' })
      .option('seed', { type: 'string', describe: `random seed (default ${DEFAULT_SEED}); same seed, same bytes` })
      .option('jobs', { type: 'string', describe: 'connections for the post-load steps, and twice as many load passes (default: number of cores)' })
      .option('format', { type: 'string', describe: 'COPY format: binary or text (default binary)' })
      .option('verify', { type: 'string', describe: 'check the load: sample (default: every relation counted, a sample of rows hashed), full (every key range counted, every row hashed), none' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted seed (running the same command again does too)' })
      .option('force', { type: 'boolean', default: false, describe: 'drop what chatbench seeded in these variants and start over' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan, sizes and the time of every step; write nothing' })
      .example('$0 seed --messages 100M --variants btree-monthly', '100 million messages into one variant')
      .example('$0 seed --messages 1B --dry-run', 'what would be loaded, how big, how long, step by step'),
  handler: async (argv) => {
    const flags = { messages: argv.messages, users: argv.users, servers: argv.servers, days: argv.days, start: argv.start, variants: argv.variants, seed: argv.seed, jobs: argv.jobs, format: argv.format, verify: argv.verify };
    const cfg = seedConfig({ ...flags, resume: Boolean(argv.resume), force: Boolean(argv.force), dryRun: Boolean(argv['dry-run']) }, loadVariants(SCHEMAS_DIR));
    const spec = targetSpec(ctx.globals.db, ctx.env); // validates --db / DATABASE_URL before building anything
    const reachable = spec.kind === 'url' || embeddedStatus(spec.paths).initialised || !cfg.dryRun;
    const target = reachable ? await ctx.target() : undefined;
    const prep = await prepareSeed({ ...cfg, target, home: spec.kind === 'embedded' ? spec.paths.home : undefined, log: ctx.log });
    ctx.throwIfAborted(); // Ctrl-C while the model was built: nothing was created yet
    if (cfg.dryRun) return ctx.result({ schemaVersion: 1, dryRun: true, plan: prep.plan, variants: prep.variants.map((v) => v.name), choice: prep.choice ?? null, calibration: prep.calibration, estimates: prep.estimate.variants, time: prep.estimate.time, diskBytes: prep.estimate.diskBytes, memory: prep.estimate.memory, freeBytes: prep.freeBytes ?? null }, estimateLines(prep).join('\n'));

    const progress = new ProgressLine(process.stderr, ctx.interactive, ctx.globals.quiet);
    progress.log(planLines(prep.plan).slice(0, 2).join('\n'));
    if (prep.choice) progress.log(prep.choice);
    const onEvent = (e: SeedEvent) => {
      if (e.type === 'progress') progress.update(progressText(e.progress));
      else if (e.type === 'log') progress.log(e.message);
      else if (e.type === 'variant' && e.resumed) progress.log(`${e.variant}: resuming: ${e.relationsDone} of ${e.relationsTotal} relations already loaded`);
      else if (e.type === 'step' && e.phase === 'start') progress.update(`${e.variant}: ${e.step}...`, true);
      else if (e.type === 'step' && e.phase === 'end') progress.log(`${e.variant}: ${e.step} done in ${Math.round(e.ms ?? 0)} ms${e.detail ? ` (${e.detail})` : ''}`);
    };
    const groups = prep.estimate.time.groups;
    if (groups.length > 1) progress.log(`seeding in ${groups.length} groups sized to the memory (${groups.map((g) => g.variants.join(', ')).join('; ')}): each group is generated once for its designs, loaded and indexed before the next`);
    const eta = groups.map((g) => ({ loadMs: g.loadSeconds * 1000, postLoadMs: g.postLoadSeconds * 1000 }));
    const run = await seedVariants({ target: target!, variants: prep.variants, params: cfg.params, model: prep.model, jobs: cfg.jobs, format: cfg.format, verify: cfg.verify, resume: cfg.resume, force: cfg.force, signal: ctx.signal, onEvent, groups: groups.map((g) => g.variants), estimate: eta });
    progress.clear();
    const out = seedResults(run, { plan: prep.plan, command: recordedCommand('npm run seed --', process.argv.slice(3)), config: { jobs: cfg.jobs, format: cfg.format, variants: prep.variants.map((v) => v.name), resume: cfg.resume, force: cfg.force, verify: cfg.verify, variantsChosen: prep.choice, groups: groups.length > 1 ? groups.map((g) => g.variants) : undefined }, estimate: estimateSummary(prep) });
    const dir = runDir(REPORTS_DIR, out.runId);
    writeResults(dir, out);
    const report = await renderRun(dir, out);
    const json = { schemaVersion: 1, seed: prep.plan.seed, reportDir: dir, partial: out.partial, totalMs: run.totalMs, variants: run.variants.map((r) => ({ variant: r.variant, rows: r.rows, steps: r.steps, totalMs: r.totalMs, bytes: { ...Object.fromEntries(Object.entries(r.facts.tables).map(([t, f]) => [t, f.tableBytes])), indexes: Object.assign({}, ...Object.values(r.facts.tables).map((f) => f.indexes)) }, checksums: Object.fromEntries(Object.entries(r.facts.tables).map(([t, f]) => [t, f.checksum])) })) };
    ctx.result(json, [...summaryLines(run.variants, run.totalMs), `report: ${report}`].join('\n'));
    if (run.interrupted) throw run.interrupted;
  },
});

