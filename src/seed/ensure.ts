// Seeded data for commands that need some and do not care which (quickstart, benchmarks): a
// variant that holds a complete seed is used as it is, whatever its size; an empty one is seeded.
import type { Target } from '../db/target.ts';
import { connectClient } from '../db/target.ts';
import { UsageError } from '../errors.ts';
import { loadModel, modelParamsOf, type Model, type ModelParams } from '../generate/model.ts';
import { dataKeyOf, sameData, seedRecords } from '../schema/bookkeeping.ts';
import { GENERATOR_VERSION } from '../generate/plan.ts';
import type { Variant } from '../schema/variants.ts';
import { seedVariants, type SeedEvent } from './seed.ts';

export interface Ensured {
  params: ModelParams;
  model: Model;
  seeded: string[];
  reused: string[];
}

/**
 * Makes every variant hold the same complete seed: the one already in any of them, else `params`.
 * Never drops data: a variant holding other data (or a partial seed) is an error that says what to do.
 */
export async function ensureSeeded(target: Target, variants: Variant[], params: ModelParams, opts: { jobs: number; signal: AbortSignal; onEvent: (e: SeedEvent) => void }): Promise<Ensured> {
  const c = await connectClient(target);
  const plans = await seedRecords(c).finally(() => c.end());
  const existing = variants.map((v) => plans.get(v.name)).find((p) => p?.status === 'complete');
  // A complete seed made by another generator version cannot be matched: seed the others afresh.
  const reusable = existing && existing.plan.generatorVersion === GENERATOR_VERSION ? existing : undefined;
  const use: ModelParams = reusable ? modelParamsOf(reusable.plan) : params;
  const key = dataKeyOf(use);
  const model = await loadModel(use);
  const out: Ensured = { params: use, model, seeded: [], reused: [] };
  const todo: Variant[] = [];
  for (const v of variants) {
    const p = plans.get(v.name);
    if (p && p.status === 'complete' && sameData(p.plan, key)) {
      out.reused.push(v.name);
      continue;
    }
    if (p && !(p.status === 'loading' && sameData(p.plan, key))) {
      throw new UsageError(`variant ${v.name} holds ${p.status === 'complete' ? 'a different data set' : 'a partial seed'} from the others: seed them alike first (npm run seed -- --variants ${variants.map((x) => x.name).join(',')} --force)`);
    }
    todo.push(v);
  }
  if (todo.length) {
    // One generation feeds them all, in one group (not sized to the memory as `npm run seed` does:
    // quickstart's and the benches' data, a few GB at their defaults, fits in memory together).
    const run = await seedVariants({ target, variants: todo, params: use, model, jobs: opts.jobs, format: 'binary', verify: 'sample', resume: false, force: false, signal: opts.signal, onEvent: opts.onEvent });
    if (run.interrupted) throw run.interrupted;
    out.seeded.push(...todo.map((v) => v.name));
  }
  return out;
}
