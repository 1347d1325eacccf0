// Latency histograms: HDR (hdr-histogram-js in its JavaScript mode), microseconds, 3 significant
// digits, from 1 µs to an hour. Encoded as compressed base64 so runs can be stored and merged;
// percentiles are computed once, after merging. A leaf module.
import * as hdr from 'hdr-histogram-js';
import type { Percentiles } from '../results/types.ts';

export type Histogram = hdr.Histogram;

const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false, bitBucketSize: 32, autoResize: false });
}

/** Records a value in microseconds, clamped into the trackable range. */
export function record(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

export function mergeHistograms(hs: Histogram[]): Histogram {
  const out = newHistogram();
  for (const h of hs) out.add(h);
  return out;
}

/** The middle of a few figures (the upper middle for an even count): repeats' medians, not a histogram's. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

export function percentiles(h: Histogram): Percentiles {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: Math.round(h.mean),
  };
}

/** The percentile spectrum for a log-scaled chart: [percentile, µs] pairs out to 99.99 (and max). */
export function spectrum(h: Histogram): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  const points = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.99];
  const out: Array<[number, number]> = points.map((p) => [p, h.getValueAtPercentile(p)]);
  out.push([100, h.getValueAtPercentile(100)]); // the max, at the same (bucket) resolution as the rest
  return out;
}

export interface Band {
  value: number;
  lo: number;
  hi: number;
}

/**
 * The 95% band of percentile q (0-100) from a histogram of n samples: the order statistics a
 * binomial (normal approximation) puts 1.96 standard deviations either side of rank q·n.
 */
export function percentileBand(h: Histogram, q: number): Band {
  const n = h.totalCount;
  const value = h.getValueAtPercentile(q);
  if (n === 0) return { value: 0, lo: 0, hi: 0 };
  const p = q / 100;
  const half = (1.96 * Math.sqrt(n * p * (1 - p))) / n;
  return {
    value,
    lo: h.getValueAtPercentile(Math.max(0, (p - half) * 100)),
    hi: h.getValueAtPercentile(Math.min(100, (p + half) * 100)),
  };
}
