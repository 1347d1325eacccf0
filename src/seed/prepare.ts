// Everything a seed decides before it loads a row: the data model and plan, the calibration, the
// variants (the default set when none were named), the estimate of every step, and the checks
// that refuse what cannot work (data in the way, a disk too small). The dry run stops here.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { CopyFormat } from '../copy/writer.ts';
import { benchmarkSettings, machineFacts } from '../db/server-settings.ts';
import { connectClient, type Target } from '../db/target.ts';
import { RuntimeError } from '../errors.ts';
import { loadModel, type Model, type ModelParams } from '../generate/model.ts';
import { buildPlan, type DataPlan } from '../generate/plan.ts';
import { formatBytes } from '../metrics/format.ts';
import { appliedVariants, dataKeyOf, sameData, seedRecords, type SeedRecord } from '../schema/bookkeeping.ts';
import type { Variant } from '../schema/variants.ts';
import { chooseDefault, inContrastOrder, safetyMargin } from './choose.ts';
import { calibrateGenerator, calibrateServer, estimateSeed, estimateVariant, freeBytes, type Calibration, type SeedEstimate } from './estimate.ts';
import { seedDecision } from './seed.ts';
import type { VerifyMode } from './verify.ts';

export interface SeedRequest {
  params: ModelParams;
  /** The variants named by --variants (every variant when it was not given). */
  variants: Variant[];
  variantsGiven: boolean;
  jobs: number;
  format: CopyFormat;
  verify: VerifyMode;
  resume: boolean;
  force: boolean;
  dryRun: boolean;
  /** The server, if it can be reached (a dry run does not start an embedded server that was never initialised). */
  target?: Target;
  /** Where the embedded server keeps its data (for the free-space check). */
  home?: string;
  log: (message: string) => void;
}

export interface SeedPreparation {
  model: Model;
  plan: DataPlan;
  calibration: Calibration;
  variants: Variant[];
  estimate: SeedEstimate;
  freeBytes?: number;
  /** Why these variants, when none were named (one line). */
  choice?: string;
  /** The server was reached and calibrated. */
  calibrated: boolean;
}

function bytesSetting(v: string): number {
  const m = /^(\d+)\s*(B|kB|MB|GB|TB)?$/.exec(v.trim());
  if (!m) return 0;
  return Number(m[1]) * { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[m[2] ?? 'B']!;
}

async function serverMemory(client: pg.Client | undefined): Promise<{ sharedBuffersBytes: number; maintenanceWorkMemBytes: number }> {
  if (!client) {
    const s = benchmarkSettings(machineFacts());
    return { sharedBuffersBytes: bytesSetting(s.shared_buffers), maintenanceWorkMemBytes: bytesSetting(s.maintenance_work_mem) };
  }
  const r = await client.query(`SELECT current_setting('shared_buffers') AS sb, current_setting('maintenance_work_mem') AS mwm`);
  return { sharedBuffersBytes: bytesSetting(r.rows[0].sb), maintenanceWorkMemBytes: bytesSetting(r.rows[0].mwm) };
}

export async function prepareSeed(req: SeedRequest): Promise<SeedPreparation> {
  const key = dataKeyOf(req.params);
  const client = req.target ? await connectClient(req.target, { applicationName: 'chatbench seed prepare' }) : undefined;
  try {
    // Refuse data in the way before spending time on the model (the seed checks again under its lock).
    const records = client ? await seedRecords(client) : new Map<string, SeedRecord>();
    const applied = new Map((client ? await appliedVariants(client) : []).map((a) => [a.variant, a]));
    const decide = async (c: pg.Client, v: Variant) => seedDecision(c, v, key, req, { applied: applied.get(v.name), seed: records.get(v.name) });
    if (client && !req.dryRun && req.variantsGiven) for (const v of req.variants) await decide(client, v);
    req.log(`building the data model (${req.params.messages.toLocaleString('en-US')} messages, seed ${req.params.seed})...`);
    const model = await loadModel(req.params);
    const plan = buildPlan(req.params, model);
    const calibration: Calibration = { ...calibrateGenerator(model), serverRowsPerSec: {} };
    const free = req.home ? freeBytes(fs.existsSync(req.home) ? req.home : path.dirname(req.home)) : undefined;
    const bytesOf = (v: Variant) => estimateVariant(v, plan, calibration).totalBytes;

    let variants = req.variants;
    let choice: string | undefined;
    if (!req.variantsGiven) {
      // Designs already holding this data count as done; a partial seed of it is resumed first.
      const done = req.variants.filter((v) => records.get(v.name)?.status === 'complete' && sameData(records.get(v.name)!.plan, key));
      const partial = req.variants.filter((v) => records.get(v.name)?.status === 'loading' && sameData(records.get(v.name)!.plan, key));
      const c = chooseDefault(req.variants.filter((v) => !done.includes(v) && !partial.includes(v)), bytesOf, free);
      variants = [...partial, ...c.chosen];
      if (!variants.length && c.left.length && free !== undefined) throw new RuntimeError(noDesignFits(req, c.left, bytesOf, free));
      choice = describeChoice(req, c, done, partial, free, bytesOf);
      if (!variants.length) throw new RuntimeError(choice);
      if (client && !req.dryRun) for (const v of variants) await decide(client, v);
    } else if (free !== undefined && !req.dryRun) {
      const need = variants.reduce((a, v) => a + bytesOf(v) * 1.1, 0);
      if (need > free) throw new RuntimeError(`not enough disk: seeding ${variants.length} variant(s) needs about ${formatBytes(need)} and ${req.home} has ${formatBytes(free)} free (see --dry-run; without --variants the seed picks the designs that fit)`);
    }
    // Calibrate the server: every variant for a dry run (its speed is the estimate); one for a seed
    // long enough to want an ETA.
    const calibrate = req.dryRun ? variants : req.params.messages >= 1_000_000 ? variants.slice(0, 1) : [];
    for (const v of client ? calibrate : []) calibration.serverRowsPerSec[v.name] = await calibrateServer(client!, v, model, plan);
    const mem = await serverMemory(client);
    const facts = machineFacts();
    const estimate = estimateSeed(variants, plan, calibration, { cores: facts.cores, memBytes: facts.memBytes, ...mem }, { jobs: req.jobs, verify: req.verify, groupByMemory: !req.target || req.target.kind === 'embedded' });
    return { model, plan, calibration, variants, estimate, freeBytes: free, choice, calibrated: Object.keys(calibration.serverRowsPerSec).length > 0 };
  } finally {
    await client?.end().catch(() => {});
  }
}

function describeChoice(req: SeedRequest, c: ReturnType<typeof chooseDefault>, done: Variant[], partial: Variant[], free: number | undefined, bytesOf: (v: Variant) => number): string {
  const names = (vs: Variant[]) => vs.map((v) => v.name).join(', ');
  const again = `npm run seed -- --messages ${shortMessages(req.params.messages)} --variants ${c.left[0]?.name ?? '<variant>'}`;
  const head = `no --variants given: seeding ${c.chosen.length || partial.length ? names([...partial, ...c.chosen]) : 'nothing more'}`;
  if (free === undefined) return `${head} (every design: the free disk of a server given by URL cannot be known; name designs with --variants)`;
  const first = c.left[0];
  const passed = first && c.chosen.length && inContrastOrder([first, c.chosen.at(-1)!])[0] === first ? `, ${first.name} (${formatBytes(bytesOf(first) * 1.1)}) passed over` : '';
  const why = `${partial.length ? `resuming ${names(partial)}; ` : ''}${done.length ? `${names(done)} already hold${done.length === 1 ? 's' : ''} this data; ` : ''}the designs that contrast most (docs/DATA.md), in order, that fit in ${formatBytes(free)} free less a ${formatBytes(safetyMargin(free))} margin${passed}; all ${c.chosen.length + c.left.length} left would need ${formatBytes(c.allBytes)}`;
  const later = c.left.length ? `; add another later with ${again} (the same flags give byte-identical data)` : '';
  return `${head} (${why})${later}`;
}

/** The refusal when not even the smallest design fits. */
function noDesignFits(req: SeedRequest, left: Variant[], bytesOf: (v: Variant) => number, free: number): string {
  const smallest = [...left].sort((a, b) => bytesOf(a) - bytesOf(b))[0];
  return `not enough disk for any design at ${shortMessages(req.params.messages)} messages: the smallest, ${smallest.name}, needs about ${formatBytes(bytesOf(smallest) * 1.1)} and ${req.home} has ${formatBytes(free)} free, of which ${formatBytes(safetyMargin(free))} is kept free (see --dry-run; seed fewer --messages, or name a design with --variants to use the margin)`;
}

function shortMessages(n: number): string {
  for (const [s, k] of [['B', 1e9], ['M', 1e6], ['K', 1e3]] as const) if (n >= k && n % k === 0) return `${n / k}${s}`;
  return String(n);
}

