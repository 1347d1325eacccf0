import { describe, expect, it } from 'vitest';
import { encodeHistogram, newHistogram, record } from '../metrics/histogram.ts';
import type { OperationResult, ScenarioResults } from '../results/types.ts';
import { verdict } from './verdict.ts';

/** An operation whose latencies are `n` samples around `p50Us` (±10%), with optional rounds and plans. */
function op(p50Us: number, extra: Partial<OperationResult> = {}, n = 2000): OperationResult {
  const h = newHistogram();
  for (let i = 0; i < n; i++) record(h, p50Us * (0.9 + (0.2 * i) / n));
  const p = { p50: p50Us, p90: p50Us, p95: p50Us, p99: p50Us, p999: p50Us, max: p50Us, mean: p50Us };
  return { name: 'page', attempted: n, ok: n, failed: 0, dropped: 0, errors: {}, latencyUs: p, serviceUs: p, histograms: { latency: encodeHistogram(h), service: encodeHistogram(h) }, spectrum: [], ...extra };
}

function results(a: OperationResult, b: OperationResult, floor?: { p50: number; p90: number }): ScenarioResults {
  const variant = (name: string, o: OperationResult) => ({ variant: name, durationMs: 1000, warmupMs: 0, throughputPerSec: 1, operations: [o], timeline: [], server: { hitRatio: null, tempBytes: 0, deadlocks: 0, walBytes: 0, commits: 0, rollbacks: 0, tableBytes: {}, indexBytes: {} } });
  return {
    scenario: { name: 's', description: '', question: '', operations: [{ name: 'page', weight: 1, sql: '', kind: 'read' }] },
    variants: [variant('a', a), variant('b', b)],
    harness: floor ? { sql: 'SELECT 1', floorUs: { ...floor, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 }, roundsP50Us: [] } : undefined,
  } as unknown as ScenarioResults;
}

const rounds = (...p50s: number[]) => p50s.map((p50Us) => ({ ok: 100, p50Us, p99Us: p50Us }));

describe('verdict', () => {
  it('calls a difference real when the bands are apart and every round agrees', () => {
    const [row] = verdict(results(op(100, { rounds: rounds(100, 100, 100) }), op(150, { rounds: rounds(140, 155, 150) })));
    const b = row.cells.find((c) => c.variant === 'b')!;
    expect(row.fastestP50).toBe('a');
    expect(b.ratioP50).toBeCloseTo(1.5, 1);
    expect(b.roundsP50).toEqual([1.4, 1.55, 1.5]);
    expect(b.withinNoiseP50).toBe(false);
  });

  it('calls it noise when a round disagrees, even with thousands of samples', () => {
    const [row] = verdict(results(op(100, { rounds: rounds(100, 100, 100) }), op(120, { rounds: rounds(150, 95, 130) })));
    const b = row.cells.find((c) => c.variant === 'b')!;
    expect(b.noiseP50).toBe('rounds');
    expect(row.note).toMatch(/not slower than a in every round \(b 0\.95x-1\.50x\): within the machine's drift/);
  });

  it('calls it noise when the difference is within the harness\'s own jitter', () => {
    const [row] = verdict(results(op(1000), op(1040), { p50: 60, p90: 110 }));
    const b = row.cells.find((c) => c.variant === 'b')!;
    expect(b.noiseP50).toBe('harness');
    expect(row.note).toMatch(/within the harness's own jitter of a \(50 µs/);
  });

  it('says when connections mixed plan kinds, and when the order flips between custom and generic plans', () => {
    const timings = (g: number, c: number) => ({ generic: { planMs: 0, execMs: g }, custom: { planMs: 0, execMs: c } });
    const plan = (g: number, c: number) => ({ text: '', partitionsScanned: 0, partitionsTotal: 0, params: [], timings: timings(g, c) });
    const [row] = verdict(
      results(
        op(100, { planKinds: { generic: 900, custom: 1100, mixed: true, perConnection: [] }, plan: plan(9.6, 0.67) }),
        op(300, { planKinds: { generic: 2000, custom: 0, mixed: false, perConnection: [] }, plan: plan(2.1, 7.3) }),
      ),
    );
    expect(row.cells.map((c) => c.plan)).toEqual(['mixed', 'generic']);
    expect(row.note).toMatch(/connections ran different plan kinds .* on a/);
    expect(row.note).toMatch(/with custom plans a is fastest .*, with the generic plan b/);
  });
});
