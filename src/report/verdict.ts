// The verdict: per operation, the fastest variant at p50 and at p99 and the ratio of every other
// variant to it, with a note where the difference is within noise. Noise is judged from the
// histograms themselves: a percentile estimated from n samples has a 95% confidence band of
// ranks (order statistics); if two variants' bands overlap, the difference is not established.
import { decodeHistogram, percentileBand, type Band } from '../metrics/histogram.ts';
import type { ScenarioResults } from '../results/types.ts';

export { percentileBand, type Band };

export interface VerdictCell {
  variant: string;
  p50: Band;
  p99: Band;
  /** variant p50 / fastest p50 (1 for the fastest). */
  ratioP50: number;
  ratioP99: number;
  withinNoiseP50: boolean;
  withinNoiseP99: boolean;
  samples: number;
}

export interface VerdictRow {
  operation: string;
  fastestP50: string;
  fastestP99: string;
  cells: VerdictCell[];
  note: string;
}

const overlaps = (a: Band, b: Band) => a.lo <= b.hi && b.lo <= a.hi;

export function verdict(r: ScenarioResults): VerdictRow[] {
  const names = r.scenario.operations.map((o) => o.name);
  const rows: VerdictRow[] = [];
  for (const op of names) {
    const entries = r.variants
      .map((v) => ({ variant: v.variant, o: v.operations.find((x) => x.name === op) }))
      .filter((e): e is { variant: string; o: NonNullable<typeof e.o> } => Boolean(e.o && e.o.ok > 0));
    if (entries.length === 0) continue;
    const bands = entries.map((e) => {
      const h = decodeHistogram(e.o.histograms.latency);
      return { variant: e.variant, p50: percentileBand(h, 50), p99: percentileBand(h, 99), samples: h.totalCount };
    });
    const best50 = bands.reduce((a, b) => (b.p50.value < a.p50.value ? b : a));
    const best99 = bands.reduce((a, b) => (b.p99.value < a.p99.value ? b : a));
    const cells = bands.map((b) => ({
      variant: b.variant,
      p50: b.p50,
      p99: b.p99,
      ratioP50: best50.p50.value > 0 ? b.p50.value / best50.p50.value : 1,
      ratioP99: best99.p99.value > 0 ? b.p99.value / best99.p99.value : 1,
      withinNoiseP50: b.variant !== best50.variant && overlaps(b.p50, best50.p50),
      withinNoiseP99: b.variant !== best99.variant && overlaps(b.p99, best99.p99),
      samples: b.samples,
    }));
    const few = bands.filter((b) => b.samples < 100).map((b) => b.variant);
    const tied50 = cells.filter((c) => c.withinNoiseP50).map((c) => c.variant);
    const notes = [
      entries.length === 1 ? 'one variant only' : '',
      tied50.length ? `p50 of ${tied50.join(', ')} within noise of ${best50.variant}` : '',
      few.length ? `fewer than 100 samples on ${few.join(', ')}: percentiles are rough` : '',
    ].filter(Boolean);
    rows.push({ operation: op, fastestP50: best50.variant, fastestP99: best99.variant, cells, note: notes.join('; ') });
  }
  return rows;
}
