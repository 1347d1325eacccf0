// The verdict: per operation, the fastest variant at p50 and at p99 and the ratio of every other
// variant to it. A difference is called real only when it stands out of three kinds of noise:
//   - sampling: a percentile from n samples has a 95% band of ranks (order statistics); the two
//     variants' bands must not overlap;
//   - the machine's drift: with rounds (the designs interleaved A B, B A, ...), the ratio must be on
//     the same side of 1 in every round;
//   - the harness: a p50 difference smaller than the jitter of chatbench's own floor (SELECT 1
//     through the same path: its p90 - p50) cannot be told from the harness.
// It also says which plan kind ran (generic or custom) where that differs between designs or
// connections, and when the designs' order flips between the two kinds.
import { decodeHistogram, percentileBand, type Band } from '../metrics/histogram.ts';
import type { OperationResult, ScenarioResults } from '../results/types.ts';

export interface VerdictCell {
  variant: string;
  p50: Band;
  p99: Band;
  /** variant p50 / fastest p50 (1 for the fastest). */
  ratioP50: number;
  ratioP99: number;
  /** The p50 ratio of each round (paired with the fastest variant's same round), when there were rounds. */
  roundsP50?: number[];
  withinNoiseP50: boolean;
  withinNoiseP99: boolean;
  /** Why the p50 difference is not established, if it is not: 'sampling', 'rounds' or 'harness'. */
  noiseP50?: 'sampling' | 'rounds' | 'harness';
  samples: number;
  /** The server's own mean execution time (pg_stat_statements), µs. */
  serverMeanUs?: number;
  /** The plan kind the operation's connections ran. */
  plan?: 'generic' | 'custom' | 'mixed';
}

export interface VerdictRow {
  operation: string;
  fastestP50: string;
  fastestP99: string;
  cells: VerdictCell[];
  note: string;
}

const overlaps = (a: Band, b: Band) => a.lo <= b.hi && b.lo <= a.hi;

function planOf(o: OperationResult): VerdictCell['plan'] {
  if (!o.planKinds) return undefined;
  if (o.planKinds.mixed) return 'mixed';
  return o.planKinds.generic > o.planKinds.custom ? 'generic' : 'custom';
}

/** The harness's jitter: how far its own floor's p90 lies above its p50 (0 without a floor). */
export function harnessJitterUs(r: ScenarioResults): number {
  return r.harness ? Math.max(0, r.harness.floorUs.p90 - r.harness.floorUs.p50) : 0;
}

export function verdict(r: ScenarioResults): VerdictRow[] {
  const names = r.scenario.operations.map((o) => o.name);
  const jitterUs = harnessJitterUs(r);
  const rows: VerdictRow[] = [];
  for (const op of names) {
    const entries = r.variants
      .map((v) => ({ variant: v.variant, o: v.operations.find((x) => x.name === op) }))
      .filter((e): e is { variant: string; o: OperationResult } => Boolean(e.o && e.o.ok > 0));
    if (entries.length === 0) continue;
    const bands = entries.map((e) => {
      const h = decodeHistogram(e.o.histograms.latency);
      return { variant: e.variant, o: e.o, p50: percentileBand(h, 50), p99: percentileBand(h, 99), samples: h.totalCount };
    });
    const best50 = bands.reduce((a, b) => (b.p50.value < a.p50.value ? b : a));
    const best99 = bands.reduce((a, b) => (b.p99.value < a.p99.value ? b : a));
    const cells: VerdictCell[] = bands.map((b) => {
      const isBest = b.variant === best50.variant;
      const roundsP50 = b.o.rounds && best50.o.rounds && b.o.rounds.length === best50.o.rounds.length && b.o.rounds.length > 1 ? b.o.rounds.map((x, i) => (best50.o.rounds![i].p50Us > 0 ? x.p50Us / best50.o.rounds![i].p50Us : 1)) : undefined;
      const noiseP50: VerdictCell['noiseP50'] = isBest
        ? undefined
        : overlaps(b.p50, best50.p50) ? 'sampling'
        : roundsP50 && Math.min(...roundsP50) <= 1 ? 'rounds'
        : b.p50.value - best50.p50.value < jitterUs ? 'harness'
        : undefined;
      return {
        variant: b.variant,
        p50: b.p50,
        p99: b.p99,
        ratioP50: best50.p50.value > 0 ? b.p50.value / best50.p50.value : 1,
        ratioP99: best99.p99.value > 0 ? b.p99.value / best99.p99.value : 1,
        roundsP50,
        withinNoiseP50: noiseP50 !== undefined,
        withinNoiseP99: b.variant !== best99.variant && overlaps(b.p99, best99.p99),
        noiseP50,
        samples: b.samples,
        serverMeanUs: b.o.server ? Math.round(b.o.server.meanExecMs * 1000) : undefined,
        plan: planOf(b.o),
      };
    });
    rows.push({ operation: op, fastestP50: best50.variant, fastestP99: best99.variant, cells, note: notes(bands.map((b) => b.o), cells, best50.variant, entries.length, jitterUs, r.config?.planCache ?? 'auto').join('; ') });
  }
  return rows;
}

function notes(ops: OperationResult[], cells: VerdictCell[], fastest: string, variants: number, jitterUs: number, planCache: 'auto' | 'custom' | 'generic'): string[] {
  const out: string[] = [];
  if (variants === 1) out.push('one variant only');
  const by = (why: VerdictCell['noiseP50']) => cells.filter((c) => c.noiseP50 === why).map((c) => c.variant);
  if (by('sampling').length) out.push(`p50 of ${by('sampling').join(', ')} within sampling noise of ${fastest}`);
  if (by('rounds').length) {
    const spread = cells.filter((c) => c.noiseP50 === 'rounds').map((c) => `${c.variant} ${Math.min(...c.roundsP50!).toFixed(2)}x-${Math.max(...c.roundsP50!).toFixed(2)}x`);
    out.push(`p50 of ${by('rounds').join(', ')} not slower than ${fastest} in every round (${spread.join(', ')}): within the machine's drift`);
  }
  if (by('harness').length) out.push(`p50 of ${by('harness').join(', ')} within the harness's own jitter of ${fastest} (${jitterUs} µs: chatbench's floor p90 - p50)`);
  const few = cells.filter((c) => c.samples < 100).map((c) => c.variant);
  if (few.length) out.push(`fewer than 100 samples on ${few.join(', ')}: percentiles are rough`);
  const mixed = cells.filter((c) => c.plan === 'mixed').map((c) => c.variant);
  if (mixed.length) out.push(`connections ran different plan kinds (generic on some, custom on others) on ${mixed.join(', ')}: its latency mixes two plans`);
  const kinds = new Set(cells.map((c) => c.plan).filter((k) => k && k !== 'mixed'));
  if (kinds.size > 1) out.push(`plans differ between designs: ${cells.filter((c) => c.plan).map((c) => `${c.variant} ran ${c.plan}`).join(', ')}`);
  const flip = planFlip(ops, cells, planCache);
  if (flip) out.push(flip);
  return out;
}

/**
 * Whether the designs' order depends on the plan cache's draw: ranked by the server's time for the
 * same parameters under custom plans and under the generic plan (EXPLAIN EXECUTE after the run),
 * the fastest design differs.
 */
function planFlip(ops: OperationResult[], cells: VerdictCell[], planCache: 'auto' | 'custom' | 'generic'): string | undefined {
  const timed = ops.map((o, i) => ({ variant: cells[i].variant, t: o.plan?.timings })).filter((x): x is { variant: string; t: NonNullable<OperationResult['plan']>['timings'] & object } => Boolean(x.t));
  if (timed.length < 2) return undefined;
  const total = (k: 'generic' | 'custom', x: (typeof timed)[number]) => x.t[k].planMs + x.t[k].execMs;
  const best = (k: 'generic' | 'custom') => timed.reduce((a, b) => (total(k, b) < total(k, a) ? b : a));
  const g = best('generic');
  const c = best('custom');
  if (g.variant === c.variant) return undefined;
  const ms = (k: 'generic' | 'custom') => timed.map((x) => `${x.variant} ${total(k, x).toFixed(2)} ms`).join(', ');
  const both = `with custom plans ${c.variant} is fastest (${ms('custom')}), with the generic plan ${g.variant} (${ms('generic')}), on the same parameters`;
  if (planCache !== 'auto') return `measured with ${planCache} plans (--plan-cache ${planCache}); the verdict depends on the plan cache: ${both}`;
  return `the verdict depends on the plan cache: ${both}; run with --plan-cache custom and --plan-cache generic to measure both`;
}
