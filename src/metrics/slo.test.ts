import { describe, expect, it } from 'vitest';
import type { SloTerm } from '../results/types.ts';
import { newHistogram, record } from './histogram.ts';
import { describeCheck, describeChecks, evaluateSlo, formatTerm, sloMet } from './slo.ts';

/** n samples evenly spread from loUs to hiUs. */
function spread(n: number, loUs: number, hiUs: number) {
  const h = newHistogram();
  for (let i = 0; i < n; i++) record(h, loUs + ((hiUs - loUs) * i) / Math.max(1, n - 1));
  return h;
}

const term = (text: string, percentile: number, operation: string | null, limitUs: number, inclusive = false): SloTerm => ({ text, percentile, operation, limitUs, inclusive });

describe('objectives checked against histograms', () => {
  const ops = [
    { name: 'read', latency: spread(10_000, 1000, 11_000) }, // p99 ≈ 10.9 ms
    { name: 'send', latency: spread(10_000, 10_000, 110_000) }, // p99 ≈ 109 ms
  ];

  it('checks one operation, all together, and each one', () => {
    const [read, all, ...each] = evaluateSlo([term('p99(read)<20ms', 99, 'read', 20_000), term('p50<50ms', 50, null, 50_000), term('p99(*)<100ms', 99, '*', 100_000)], ops);
    expect(read).toMatchObject({ operation: 'read', met: true, certain: true, samples: 10_000 });
    expect(read.valueUs).toBeGreaterThan(10_800);
    expect(read.valueUs).toBeLessThan(11_000);
    expect(all).toMatchObject({ operation: null, samples: 20_000, met: true });
    expect(each.map((c) => [c.operation, c.met])).toEqual([['read', true], ['send', false]]);
    expect(sloMet([read, all, ...each])).toBe(false);
  });

  it('gives the 95% band from the sample count: few samples near the limit are uncertain', () => {
    const few = [{ name: 'read', latency: spread(200, 1000, 11_000) }];
    const [c] = evaluateSlo([term('p99<10.8ms', 99, null, 10_800)], few);
    expect(c.lowUs).toBeLessThan(c.valueUs);
    expect(c.highUs).toBeGreaterThanOrEqual(c.valueUs);
    expect(c.lowUs).toBeLessThan(10_800);
    expect(c.certain).toBe(false);
    const [many] = evaluateSlo([term('p99(read)<12ms', 99, 'read', 12_000)], ops);
    expect(many).toMatchObject({ met: true, certain: true });
  });

  it('<= includes the limit; an operation with no samples is not met', () => {
    // below 2,048 µs the histogram holds values exactly
    const one = [{ name: 'x', latency: spread(1000, 1000, 1000) }];
    expect(evaluateSlo([term('p50<=1ms', 50, null, 1000, true)], one)[0].met).toBe(true);
    expect(evaluateSlo([term('p50<1ms', 50, null, 1000)], one)[0].met).toBe(false);
    const none = evaluateSlo([term('p99(x)<5ms', 99, 'x', 5000)], [{ name: 'x', latency: newHistogram() }]);
    expect(none[0]).toMatchObject({ met: false, samples: 0 });
    expect(describeCheck(none[0])).toBe('p99 of x: no samples, so not met');
  });

  it('says which percentile of which operation missed, and by how much', () => {
    const checks = evaluateSlo([term('p99.9(send)<100ms', 99.9, 'send', 100_000), term('p50<50ms', 50, null, 50_000)], ops);
    expect(describeChecks(checks)).toMatch(/^missed: p99\.9 of send 110\.0 ms, over 100 ms by 9\.\d+ ms \(1\.10×\)$/);
    expect(describeChecks(checks.slice(1))).toMatch(/^met: p50 \d+\.\d ms < 50 ms$/);
    expect(formatTerm(term('', 99.9, 'send', 200_000))).toBe('p99.9 of send < 200 ms');
    expect(formatTerm(term('', 99, '*', 1500, true))).toBe('p99 of each operation ≤ 1.5 ms');
  });
});
