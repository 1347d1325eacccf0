import { describe, expect, it } from 'vitest';
import { OperationStats } from './counters.ts';
import { decodeHistogram, encodeHistogram, mergeHistograms, newHistogram, percentiles, record } from './histogram.ts';

describe('operation counters', () => {
  it('keep attempted = ok + failed + dropped and errors by SQLSTATE = failed', () => {
    const s = new OperationStats();
    for (let i = 0; i < 10; i++) s.succeeded(100 + i, 90);
    s.failedWith('40P01', 'deadlock_detected', 'deadlock', 500, 400);
    s.failedWith('40P01', 'deadlock_detected', 'deadlock', 500, 400);
    s.failedWith('57014', 'query_canceled', 'canceled', 500, 400);
    s.droppedOne();
    expect(s.attempted).toBe(14);
    expect(s.ok + s.failed + s.dropped).toBe(s.attempted);
    expect(s.errors.get('40P01')!.count).toBe(2);
    expect(s.identityHolds()).toBe(true);
    expect(s.latency.totalCount).toBe(13); // dropped operations have no latency
  });
});

describe('histograms', () => {
  it('survive encoding and merge exactly', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 1; i <= 1000; i++) record(a, i);
    for (let i = 1; i <= 1000; i++) record(b, i * 1000);
    const merged = mergeHistograms([decodeHistogram(encodeHistogram(a)), decodeHistogram(encodeHistogram(b))]);
    expect(merged.totalCount).toBe(2000);
    const p = percentiles(merged);
    expect(p.p50).toBeGreaterThanOrEqual(999);
    expect(p.p50).toBeLessThanOrEqual(1001);
    expect(p.max).toBeGreaterThanOrEqual(999_000);
  });
  it('clamp values into the trackable range', () => {
    const h = newHistogram();
    record(h, 0);
    record(h, 1e15);
    expect(h.totalCount).toBe(2);
  });
});
