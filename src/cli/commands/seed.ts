// `chatbench seed`: streams deterministic chat data through COPY into each chosen variant.
import fs from 'node:fs';
import path from 'node:path';
import { REPORTS_DIR, SCHEMAS_DIR } from '../../config/paths.ts';
import { seedConfig, DEFAULT_MESSAGES, type SeedConfig } from '../../config/seed.ts';
import { targetSpec } from '../../config/target.ts';
import { embeddedStatus } from '../../db/embedded.ts';
import { runEnvironment } from '../../db/facts.ts';
import { connectClient } from '../../db/target.ts';
import { RuntimeError } from '../../errors.ts';
import { recordedCommand } from '../../db/redact.ts';
import { DEFAULT_DAYS, DEFAULT_SEED } from '../../generate/defaults.ts';
import { loadModel, DISTRIBUTION, type Model } from '../../generate/model.ts';
import { buildPlan, GENERATOR_VERSION, type DataPlan } from '../../generate/plan.ts';
import { formatBytes, formatCount, formatMs, shortCount } from '../../metrics/format.ts';
import { newRunId, runDir, writeResults } from '../../results/io.ts';
import type { SeedResults, VariantSeedResult } from '../../results/types.ts';
import { loadVariants } from '../../schema/variants.ts';
import { calibrateGenerator, calibrateServer, estimateVariant, freeBytes, type Calibration } from '../../seed/estimate.ts';
import { seedDecision, seedVariants, type SeedEvent } from '../../seed/seed.ts';
import { renderRun } from '../../report/render.ts';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';
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
      .option('variants', { type: 'string', describe: 'variants to seed: a,b or all (default all)' })
      .option('seed', { type: 'string', describe: `random seed (default ${DEFAULT_SEED}); same seed, same bytes` })
      .option('jobs', { type: 'string', describe: 'parallel COPY streams (default: number of cores)' })
      .option('format', { type: 'string', describe: 'COPY format: binary or text (default binary)' })
      .option('verify', { type: 'string', describe: 'check the load: sample (default: every chunk counted, a sample of rows hashed), full (every row hashed), none' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted seed (running the same command again does too)' })
      .option('force', { type: 'boolean', default: false, describe: 'drop what chatbench seeded in these variants and start over' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan, sizes and time estimates; write nothing' })
      .example('$0 seed --messages 100M --variants btree-monthly', '100 million messages into one variant')
      .example('$0 seed --messages 200K --dry-run', 'what would be loaded, how big, how long'),
  handler: async (argv) => {
    const cfg = seedConfig(
      {
        messages: argv.messages,
        users: argv.users,
        servers: argv.servers,
        days: argv.days,
        start: argv.start,
        variants: argv.variants,
        seed: argv.seed,
        jobs: argv.jobs,
        format: argv.format,
        verify: argv.verify,
        resume: Boolean(argv.resume),
        force: Boolean(argv.force),
        dryRun: Boolean(argv['dry-run']),
      },
      loadVariants(SCHEMAS_DIR),
    );
    const spec = targetSpec(ctx.globals.db, ctx.env); // validates --db / DATABASE_URL before building anything
    if (!cfg.dryRun) {
      // Refuse existing data before spending time on the model (seedVariant checks again, under its lock).
      const target = await ctx.target();
      const client = await connectClient(target);
      try {
        for (const v of cfg.variants) await seedDecision(client, v, { ...cfg.params, generatorVersion: GENERATOR_VERSION }, cfg);
      } finally {
        await client.end();
      }
    }
    ctx.log(`building the data model (${formatCount(cfg.params.messages)} messages, seed ${cfg.params.seed})...`);
    const model = await loadModel(cfg.params);
    ctx.throwIfAborted(); // Ctrl-C while the model was built: nothing was created yet
    const plan = buildPlan(cfg.params, model);
    const canConnect = spec.kind === 'url' || embeddedStatus(spec.paths).initialised;
    const cal: Calibration = { ...calibrateGenerator(model), serverRowsPerSec: {} };
    if (cfg.dryRun) return dryRun(ctx, cfg, plan, cal, canConnect, spec.kind === 'embedded' ? spec.paths.home : undefined, model);
    await runSeed(ctx, cfg, plan, model, cal, spec.kind === 'embedded' ? spec.paths.home : undefined, process.argv.slice(2));
  },
});

function planLines(plan: DataPlan): string[] {
  const lines = [
    `data: seed ${plan.seed}, ${formatCount(plan.messages)} messages over ${plan.days} days from ${new Date(plan.startMs).toISOString().slice(0, 10)},`,
    `      ${formatCount(plan.users)} users (messages/${DISTRIBUTION.messagesPerUser}), ${formatCount(plan.servers)} servers (users/${DISTRIBUTION.usersPerServer}), channels Zipf per server`,
    'rows:',
  ];
  for (const [t, n] of Object.entries(plan.rows)) lines.push(`  ${t.padEnd(30)} ${plan.exact.includes(t as never) ? ' ' : '~'}${formatCount(n).padStart(14)}`);
  return lines;
}

async function dryRun(ctx: CliContext, cfg: SeedConfig, plan: DataPlan, cal: Calibration, canConnect: boolean, home: string | undefined, model: Model): Promise<void> {
  let serverNote = 'server calibration skipped: the embedded server is not initialised yet (nothing is created by --dry-run)';
  if (canConnect) {
    const target = await ctx.target();
    const client = await connectClient(target);
    try {
      for (const v of cfg.variants) cal.serverRowsPerSec[v.name] = await calibrateServer(client, v, model, plan);
      serverNote = `server calibration: a ${formatCount(20_000)}-message sample COPYed into each variant in a rolled-back transaction`;
    } finally {
      await client.end();
    }
  }
  const estimates = cfg.variants.map((v) => estimateVariant(v, plan, cal));
  const free = home ? freeBytes(fs.existsSync(home) ? home : path.dirname(home)) : undefined;
  const total = estimates.reduce((a, e) => a + e.totalBytes, 0);
  const lines = [...planLines(plan), '', `generator: ${formatCount(Math.round(cal.generatorRowsPerSec))} messages/s on one core (calibrated here); ${serverNote}`, ''];
  for (const e of estimates) {
    lines.push(`${e.variant}: ~${formatBytes(e.totalBytes)} on disk, ~${formatMs(e.seconds * 1000)}${cal.serverRowsPerSec[e.variant] ? ` (server took ${formatCount(Math.round(cal.serverRowsPerSec[e.variant]))} messages/s)` : ''}`);
    for (const t of e.tables.filter((x) => x.rows > 0)) {
      const idx = Object.entries(t.indexes).map(([k, b]) => `${k} ${formatBytes(b)}`).join(', ');
      lines.push(`  ${t.table.padEnd(30)} heap ${formatBytes(t.heapBytes).padStart(9)}${idx ? `; ${idx}` : ''}`);
    }
  }
  lines.push('', `total: ~${formatBytes(total)}; free disk: ${free === undefined ? 'unknown (not the embedded server)' : formatBytes(free)}${free !== undefined && free < total * 1.2 ? '  << NOT ENOUGH' : ''}`);
  ctx.result({ schemaVersion: 1, dryRun: true, plan, calibration: cal, estimates, freeBytes: free ?? null }, lines.join('\n'));
}

async function runSeed(ctx: CliContext, cfg: SeedConfig, plan: DataPlan, model: Model, cal: Calibration, home: string | undefined, argv: string[]): Promise<void> {
  // Space first: stop before creating anything if it cannot fit.
  if (home) {
    const need = cfg.variants.map((v) => estimateVariant(v, plan, cal)).reduce((a, e) => a + e.totalBytes, 0);
    const free = freeBytes(fs.existsSync(home) ? home : path.dirname(home));
    if (free !== undefined && need * 1.1 > free) {
      throw new RuntimeError(`not enough disk: seeding ${cfg.variants.length} variant(s) needs about ${formatBytes(need * 1.1)} and ${home} has ${formatBytes(free)} free (see --dry-run)`);
    }
  }
  const target = await ctx.target();
  const startedAt = new Date();
  const env = await (async () => {
    const c = await connectClient(target);
    try {
      return await runEnvironment(target, c);
    } finally {
      await c.end();
    }
  })();
  const progress = new ProgressLine(process.stderr, ctx.interactive, ctx.globals.quiet);
  progress.log(planLines(plan).slice(0, 2).join('\n'));
  const onEvent = (e: SeedEvent) => {
    if (e.type === 'variant') {
      if (e.resumed) progress.log(`${e.variant}: resuming: ${e.relationsDone} of ${e.relationsTotal} relations already loaded`);
    } else if (e.type === 'log') {
      progress.log(e.message);
    } else if (e.type === 'step') {
      if (e.phase === 'end') progress.log(`${e.variant}: ${e.step.padEnd(16)} ${formatMs(e.ms ?? 0).padStart(8)}${e.detail ? `  ${e.detail}` : ''}`);
    } else {
      const p = e.progress;
      const what = p.phase === 'load' ? `load ${shortCount(p.rowsDone)}/${shortCount(p.rowsTotal)} rows` : p.steps.slice(0, 3).join(', ') || p.phase;
      progress.update(`${what}  ${shortCount(p.rowsPerSec)} rows/s  ${p.mbPerSec.toFixed(1)} MB/s  WAL ${p.walMbPerSec === null ? '?' : p.walMbPerSec.toFixed(1)} MB/s  elapsed ${formatMs(p.elapsedMs)}${p.etaMs === undefined ? '' : `  ETA ${formatMs(p.etaMs)}`}`);
    }
  };
  const run = await seedVariants({ target, variants: cfg.variants, params: cfg.params, model, jobs: cfg.jobs, format: cfg.format, verify: cfg.verify, resume: cfg.resume, force: cfg.force, signal: ctx.signal, onEvent });
  const results: VariantSeedResult[] = run.variants;
  const interrupted = run.interrupted;
  progress.clear();
  const out: SeedResults = {
    schemaVersion: 1,
    kind: 'seed',
    runId: newRunId('seed', startedAt),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: recordedCommand('npm run seed --', argv.filter((a) => a !== 'seed')),
    partial: Boolean(interrupted),
    environment: env,
    config: { jobs: cfg.jobs, format: cfg.format, variants: cfg.variants.map((v) => v.name), resume: cfg.resume, force: cfg.force, verify: cfg.verify },
    plan: {
      seed: plan.seed,
      messages: plan.messages,
      users: plan.users,
      servers: plan.servers,
      startMs: plan.startMs,
      endMs: plan.endMs,
      days: plan.days,
      rows: plan.rows,
      generatorVersion: plan.generatorVersion,
      distribution: { ...plan.distribution },
    },
    variants: results,
    timeline: run.timeline,
    totalMs: run.totalMs,
  };
  const dir = runDir(REPORTS_DIR, out.runId);
  writeResults(dir, out);
  const report = await renderRun(dir, out);
  const lines = results.map((r) => {
    const load = r.steps.find((s) => s.name === 'load');
    const total = r.totalMs ?? r.steps.reduce((a, s) => a + s.ms, 0);
    return `${r.variant}: ${formatCount(r.rows.messages ?? 0)} messages, ${formatBytes(r.facts.totalBytes)}, ${formatMs(total)} total${load ? `, load ${formatMs(load.ms)}` : ''}${r.facts.loadRowsPerSec ? ` (${formatCount(r.facts.loadRowsPerSec)} rows/s)` : ''}${r.resumed ? ', resumed' : ''}`;
  });
  lines.push(`report: ${report}`);
  ctx.result(
    {
      schemaVersion: 1,
      seed: plan.seed,
      reportDir: dir,
      partial: out.partial,
      variants: results.map((r) => ({
        variant: r.variant,
        rows: r.rows,
        steps: r.steps,
        bytes: {
          ...Object.fromEntries(Object.entries(r.facts.tables).map(([t, f]) => [t, f.tableBytes])),
          indexes: Object.assign({}, ...Object.values(r.facts.tables).map((f) => f.indexes)),
        },
        checksums: Object.fromEntries(Object.entries(r.facts.tables).map(([t, f]) => [t, f.checksum])),
      })),
    },
    lines.join('\n'),
  );
  if (interrupted) throw interrupted;
}
