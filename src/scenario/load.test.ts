import { describe, expect, it } from 'vitest';
import { OperationStats } from '../metrics/counters.ts';
import { mergeOutages } from './load.ts';

describe('merging workers', () => {
  it('adds counts, errors and histograms exactly, whatever the order', () => {
    const a = new OperationStats();
    const b = new OperationStats();
    for (let i = 1; i <= 100; i++) a.succeeded(i, i, 0);
    for (let i = 101; i <= 300; i++) b.succeeded(i, i, 5);
    b.failedWith('57014', 'query_canceled', 'cancelled', 1000, 1000, 5);
    b.droppedOne();
    const ab = OperationStats.merge([a.encode(), b.encode()]);
    const ba = OperationStats.merge([b.encode(), a.encode()]);
    for (const m of [ab, ba]) {
      expect([m.attempted, m.ok, m.failed, m.dropped]).toEqual([302, 300, 1, 1]);
      expect(m.identityHolds()).toBe(true);
      expect(m.latency.totalCount).toBe(301);
      expect(m.latency.getValueAtPercentile(50)).toBe(151);
      expect(m.errors.get('57014')!.count).toBe(1);
    }
  });

  it('makes one outage of overlapping ones, adding their failures', () => {
    const merged = mergeOutages([
      [{ fromMs: 100, toMs: 900, failures: { '57P01': 2 }, open: false }],
      [
        { fromMs: 500, toMs: 1500, failures: { '57P01': 1, '08001': 3 }, open: false },
        { fromMs: 3000, toMs: 3100, failures: { '08006': 1 }, open: true },
      ],
    ]);
    expect(merged).toEqual([
      { fromMs: 100, toMs: 1500, failures: { '57P01': 3, '08001': 3 }, open: false },
      { fromMs: 3000, toMs: 3100, failures: { '08006': 1 }, open: true },
    ]);
  });
});
