// Latency objectives checked against HDR histograms: each term's percentile with its 95% band from
// the sample count, met or missed, and whether the band says more samples could change the answer.
import { formatUs } from './format.ts';
import { decodeHistogram, mergeHistograms, percentileBand, type Histogram } from './histogram.ts';
import type { SloCheck, SloTerm, VariantScenarioResult } from '../results/types.ts';

export interface OperationLatency {
  name: string;
  latency: Histogram;
}

function checkOne(term: SloTerm, operation: string | null, h: Histogram): SloCheck {
  const base = { objective: term.text, percentile: term.percentile, operation, limitUs: term.limitUs, inclusive: term.inclusive };
  if (h.totalCount === 0) return { ...base, valueUs: 0, lowUs: 0, highUs: 0, samples: 0, met: false, certain: false };
  const b = percentileBand(h, term.percentile);
  const within = (us: number) => (term.inclusive ? us <= term.limitUs : us < term.limitUs);
  const met = within(b.value);
  return { ...base, valueUs: b.value, lowUs: b.lo, highUs: b.hi, samples: h.totalCount, met, certain: met ? within(b.hi) : !within(b.lo) };
}

/** Checks every term: null means all operations merged, '*' each operation on its own. */
export function evaluateSlo(terms: readonly SloTerm[], ops: readonly OperationLatency[]): SloCheck[] {
  const checks: SloCheck[] = [];
  let all: Histogram | undefined;
  for (const term of terms) {
    if (term.operation === null) {
      all ??= mergeHistograms(ops.map((o) => o.latency));
      checks.push(checkOne(term, null, all));
    } else if (term.operation === '*') {
      for (const o of ops) checks.push(checkOne(term, o.name, o.latency));
    } else {
      const o = ops.find((x) => x.name === term.operation);
      checks.push(checkOne(term, term.operation, o?.latency ?? mergeHistograms([])));
    }
  }
  return checks;
}

/** The objective checked on one variant's measured phase (latency histograms as the results store them). */
export function evaluateVariantSlo(terms: readonly SloTerm[], v: Pick<VariantScenarioResult, 'operations'>): SloCheck[] {
  return evaluateSlo(terms, v.operations.map((o) => ({ name: o.name, latency: decodeHistogram(o.histograms.latency) })));
}

/** A limit as people type it: 50 ms, 1.5 s, 800 µs. */
export function formatLimit(us: number): string {
  if (us >= 1_000_000 && us % 10_000 === 0) return `${us / 1_000_000} s`;
  if (us >= 1000 && us % 10 === 0) return `${us / 1000} ms`;
  return `${us} µs`;
}

export const sloMet = (checks: readonly SloCheck[]): boolean => checks.every((c) => c.met);

/** "p99 < 50 ms", "p99.9 of send < 200 ms", "p99 of each operation < 10 ms". */
export function formatTerm(t: Pick<SloTerm, 'percentile' | 'operation' | 'limitUs' | 'inclusive'>): string {
  const of = t.operation === null ? '' : t.operation === '*' ? ' of each operation' : ` of ${t.operation}`;
  return `p${t.percentile}${of} ${t.inclusive ? '≤' : '<'} ${formatLimit(t.limitUs)}`;
}

export function formatObjective(terms: readonly SloTerm[]): string {
  return terms.map(formatTerm).join(' and ');
}

/** One check for people: "p99.9 of send 262 ms, over 200 ms by 62.0 ms (1.31×)" or "p99 31.0 ms < 50 ms". */
export function describeCheck(c: SloCheck): string {
  const what = `p${c.percentile}${c.operation === null ? '' : ` of ${c.operation}`}`;
  if (c.samples === 0) return `${what}: no samples, so not met`;
  const band = c.certain ? '' : ` (95% band ${formatUs(c.lowUs)}–${formatUs(c.highUs)} straddles the limit)`;
  if (c.met) return `${what} ${formatUs(c.valueUs)} ${c.inclusive ? '≤' : '<'} ${formatLimit(c.limitUs)}${band}`;
  return `${what} ${formatUs(c.valueUs)}, over ${formatLimit(c.limitUs)} by ${formatUs(c.valueUs - c.limitUs)} (${(c.valueUs / c.limitUs).toFixed(2)}×)${band}`;
}

/** "met" or the misses, for a verdict line. */
export function describeChecks(checks: readonly SloCheck[]): string {
  const missed = checks.filter((c) => !c.met);
  return missed.length ? `missed: ${missed.map(describeCheck).join('; ')}` : `met: ${checks.map(describeCheck).join('; ')}`;
}
