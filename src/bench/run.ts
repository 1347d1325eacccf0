// A bench run: the chosen comparisons (generator, ingest, replay, fidelity, or all) on one target,
// in one run, returned as a complete results file. The command only parses, shows and writes.
import { runEnvironment } from '../db/facts.ts';
import { describePriority, type Priority, watchPriority, withMeasuringPriority } from '../metrics/priority.ts';
import { connectClient, type Target } from '../db/target.ts';
import { InterruptedError } from '../errors.ts';
import { loadModel } from '../generate/model.ts';
import { planParams } from '../generate/plan.ts';
import { formatCount } from '../metrics/format.ts';
import { envelope } from '../results/envelope.ts';
import type { BenchComparison, BenchResults } from '../results/types.ts';
import { findVariant, type Variant } from '../schema/variants.ts';
import { ensureSeeded } from '../seed/ensure.ts';
import { benchFidelity } from './fidelity.ts';
import { benchGenerator } from './generator.ts';
import { benchIngest } from './ingest.ts';
import { benchReplay } from './replay.ts';

export type BenchWhich = 'generator' | 'ingest' | 'replay' | 'fidelity' | 'all';

export interface BenchConfig {
  which: BenchWhich;
  messages: number;
  jobs: number;
  concurrency: number;
  durationMs: number;
  ratePerSec: number;
  repeats: number;
  workers: number;
  /** The design ingest and replay use. */
  variant: Variant;
  /** Where fidelity finds its designs. */
  allVariants: Variant[];
  /** ingest: only the load into unindexed tables, psql against the seeder (fits a disk at 100M). */
  loadOnly: boolean;
}

/** The designs bench fidelity compares: the history page across time partitions, a time read across index kinds. */
const FIDELITY = { page: ['btree-unpartitioned', 'btree-weekly'], day: ['btree-unpartitioned', 'brin-weekly'] } as const;

export async function runBench(target: Target, cfg: BenchConfig, o: { signal: AbortSignal; log: (m: string) => void; command: string }): Promise<BenchResults> {
  const { which, messages, jobs, variant } = cfg;
  const runs = (kind: BenchWhich) => which === kind || which === 'all';
  const interruptible = () => {
    if (o.signal.aborted) throw new InterruptedError();
  };
  const startedAt = new Date();
  const admin = await connectClient(target);
  const comparisons: BenchComparison[] = [];
  const extra: Record<string, unknown> = {};
  const whole = watchPriority();
  try {
    const environment = await runEnvironment(target, admin);
    // The comparisons that time operations run at chatbench's measuring priority (pgbench with it: same session); generation and ingest do not.
    // The results record the session's nice over those measured parts, or over the whole run when none ran.
    const parts: Priority[] = [];
    const measured = <T>(f: () => Promise<T>) =>
      withMeasuringPriority(async () => {
        const part = watchPriority();
        try {
          return await f();
        } finally {
          parts.push(part.end());
        }
      }, o.log);
    const params = planParams({ messages });
    if (runs('generator')) {
      const g = await benchGenerator(await loadModel(params), admin, Math.min(messages, 2_000_000), o.log);
      comparisons.push(...g.comparisons);
      extra.generator = g.extra;
    }
    if (runs('ingest')) {
      interruptible();
      const i = await benchIngest(target, variant, await loadModel(params), jobs, o.log, { loadOnly: cfg.loadOnly });
      comparisons.push(...i.comparisons);
      extra.ingest = i.extra;
    }
    if (runs('replay')) {
      interruptible();
      const seeded = await ensureSeeded(target, [variant], params, { jobs, signal: o.signal, onEvent: () => {} });
      o.log(`replay: data of ${variant.name}: ${formatCount(seeded.params.messages)} messages${seeded.seeded.length ? ' (seeded now)' : ''}`);
      const r = await measured(() => benchReplay(target, variant, seeded.model, { concurrency: cfg.concurrency, durationMs: cfg.durationMs, ratePerSec: cfg.ratePerSec, workers: cfg.workers, repeats: cfg.repeats, signal: o.signal }, o.log));
      comparisons.push(...r.comparisons);
      extra.replay = { ...r.extra, messages: seeded.params.messages };
    }
    if (runs('fidelity')) {
      interruptible();
      const pick = (names: readonly string[]) => names.map((n) => findVariant(cfg.allVariants, n)) as [Variant, Variant];
      const designs = { page: pick(FIDELITY.page), day: pick(FIDELITY.day) };
      const seeded = await ensureSeeded(target, [...new Set([...designs.page, ...designs.day])], params, { jobs, signal: o.signal, onEvent: () => {} });
      o.log(`fidelity: data of ${[...new Set([...FIDELITY.page, ...FIDELITY.day])].join(', ')}: ${formatCount(seeded.params.messages)} messages${seeded.seeded.length ? ` (seeded now: ${seeded.seeded.join(', ')})` : ''}`);
      const f = await measured(() => benchFidelity(target, designs, seeded.model, { durationMs: cfg.durationMs, ratePerSec: cfg.ratePerSec, repeats: cfg.repeats, signal: o.signal }, o.log));
      comparisons.push(...f.comparisons);
      extra.fidelity = { ...f.extra, messages: seeded.params.messages };
    }
    const config = { which, messages, jobs, concurrency: cfg.concurrency, durationMs: cfg.durationMs, ratePerSec: cfg.ratePerSec, repeats: cfg.repeats, workers: cfg.workers, variant: variant.name };
    environment.clientPriority = describePriority(parts.length ? parts : [whole.end()]);
    return { ...envelope({ name: `bench-${which}`, startedAt, command: o.command, environment }, false), kind: 'bench', bench: which, config, comparisons, extra };
  } finally {
    whole.end();
    await admin.end().catch(() => {});
  }
}
