// Seeded data for commands that need some and do not care which (quickstart, benchmarks): a
// variant that holds a complete seed is used as it is, whatever its size; an empty one is seeded.
import type { Target } from '../db/target.ts';
import { connectClient } from '../db/target.ts';
import { UsageError } from '../errors.ts';
import { loadModel, type Model, type ModelParams } from '../generate/model.ts';
import { META_SCHEMA } from '../schema/meta.ts';
import type { Variant } from '../schema/variants.ts';
import { seedVariant, type SeedEvent } from './seed.ts';

export interface Ensured {
  params: ModelParams;
  model: Model;
  seeded: string[];
  reused: string[];
}

async function completePlans(target: Target): Promise<Map<string, { plan: ModelParams; status: string }>> {
  const c = await connectClient(target);
  try {
    const ok = await c.query(`SELECT to_regclass('${META_SCHEMA}.seeds') IS NOT NULL AS ok`);
    if (!ok.rows[0].ok) return new Map();
    const r = await c.query(`SELECT variant, plan, status FROM ${META_SCHEMA}.seeds`);
    return new Map(r.rows.map((x) => [x.variant as string, { plan: x.plan as ModelParams, status: x.status as string }]));
  } finally {
    await c.end();
  }
}

const sameData = (a: ModelParams, b: ModelParams) => a.seed === b.seed && a.messages === b.messages && a.users === b.users && a.servers === b.servers && a.startMs === b.startMs && a.days === b.days;

/**
 * Makes every variant hold the same complete seed: the one already in any of them, else `params`.
 * Never drops data: a variant holding other data (or a partial seed) is an error that says what to do.
 */
export async function ensureSeeded(target: Target, variants: Variant[], params: ModelParams, opts: { jobs: number; signal: AbortSignal; onEvent: (e: SeedEvent) => void }): Promise<Ensured> {
  const plans = await completePlans(target);
  const existing = variants.map((v) => plans.get(v.name)).find((p) => p?.status === 'complete');
  const use: ModelParams = existing ? { seed: existing.plan.seed, messages: existing.plan.messages, users: existing.plan.users, servers: existing.plan.servers, startMs: existing.plan.startMs, days: existing.plan.days } : params;
  const model = await loadModel(use);
  const out: Ensured = { params: use, model, seeded: [], reused: [] };
  for (const v of variants) {
    const p = plans.get(v.name);
    if (p && p.status === 'complete' && sameData(p.plan, use)) {
      out.reused.push(v.name);
      continue;
    }
    if (p && !(p.status === 'loading' && sameData(p.plan, use))) {
      throw new UsageError(`variant ${v.name} holds ${p.status === 'complete' ? 'a different data set' : 'a partial seed'} from the others: seed them alike first (npm run seed -- --variants ${variants.map((x) => x.name).join(',')} --force)`);
    }
    await seedVariant({ target, variant: v, params: use, model, jobs: opts.jobs, format: 'binary', resume: false, force: false, signal: opts.signal, onEvent: opts.onEvent });
    out.seeded.push(v.name);
  }
  return out;
}
