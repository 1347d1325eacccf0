import { describe, expect, it } from 'vitest';
import { encodeHistogram, newHistogram, percentiles, record } from '../metrics/histogram.ts';
import type { CapacityStepFacts, OperationResult, SloTerm, VariantScenarioResult } from '../results/types.ts';
import { attributeLimit, judgeStep, stepFacts } from './judge.ts';

function op(name: string, latencies: number[], extra: Partial<OperationResult> = {}): OperationResult {
  const h = newHistogram();
  for (const us of latencies) record(h, us);
  const failed = extra.failed ?? 0;
  const dropped = extra.dropped ?? 0;
  return {
    name,
    attempted: latencies.length + dropped,
    ok: latencies.length - failed,
    failed,
    dropped,
    errors: extra.errors ?? {},
    latencyUs: percentiles(h),
    serviceUs: percentiles(h),
    histograms: { latency: encodeHistogram(h), service: encodeHistogram(h) },
    spectrum: [],
    ...extra,
  };
}

function variant(operations: OperationResult[], durationMs = 10_000): VariantScenarioResult {
  return { variant: 'v', durationMs, warmupMs: 0, throughputPerSec: 0, operations, timeline: [], server: { hitRatio: 1, tempBytes: 0, deadlocks: 0, walBytes: 0, commits: 0, rollbacks: 0, tableBytes: {}, indexBytes: {} } };
}

const even = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const P99_50MS: SloTerm[] = [{ text: 'p99<50ms', percentile: 99, operation: null, limitUs: 50_000, inclusive: false }];
const BUDGETS = { maxErrorRate: 0.001, maxDropRate: 0.001 };
const HARNESS = { workers: 1, floorUs: { p50: 60, p99: 150 } };

describe('judging a step', () => {
  it('passes when the objective and both budgets are met', () => {
    const v = variant([op('read', even(10_000, 1000, 20_000))]);
    const j = judgeStep(P99_50MS, BUDGETS, v, stepFacts(v, 1000, HARNESS), 4);
    expect(j).toMatchObject({ pass: true, certain: true, reasons: [] });
  });

  it('fails on the percentile, naming it and by how much', () => {
    const v = variant([op('read', even(10_000, 1000, 80_000))]);
    const j = judgeStep(P99_50MS, BUDGETS, v, stepFacts(v, 1000, HARNESS), 4);
    expect(j.pass).toBe(false);
    expect(j.reasons[0]).toMatch(/^p99 79\.\d ms, over 50 ms by/);
  });

  it('names the slowest operation when all operations together miss: a rare slow one can hold the tail', () => {
    const v = variant([op('read', even(9800, 1000, 5000)), op('search', even(200, 300_000, 600_000))]);
    const j = judgeStep(P99_50MS, BUDGETS, v, stepFacts(v, 1000, HARNESS), 4);
    expect(j.reasons[0]).toMatch(/^p99 [\d.]+ ms, over 50 ms by .*; slowest: search p99 59\d\.\d ms \(200 operations\)$/);
  });

  it('fails on errors beyond the budget, by SQLSTATE', () => {
    const v = variant([op('send', even(1000, 1000, 2000), { failed: 5, errors: { '40P01': { count: 5, name: 'deadlock_detected', example: '' } } })]);
    const j = judgeStep(P99_50MS, BUDGETS, v, stepFacts(v, 100, HARNESS), 4);
    expect(j).toMatchObject({ pass: false, certain: true });
    expect(j.reasons).toEqual(['errors 0.5% over the 0.1% budget (40P01 deadlock_detected ×5)']);
  });

  it('tolerates one queued operation per connection when a step stops, but not more', () => {
    const ok = variant([op('read', even(10_000, 1000, 2000), { dropped: 4 + 10 })]);
    expect(judgeStep(P99_50MS, BUDGETS, ok, stepFacts(ok, 1000, HARNESS), 4).pass).toBe(true);
    const bad = variant([op('read', even(10_000, 1000, 2000), { dropped: 4 + 11 })]);
    const j = judgeStep(P99_50MS, BUDGETS, bad, stepFacts(bad, 1000, HARNESS), 4);
    expect(j.pass).toBe(false);
    expect(j.reasons[0]).toMatch(/^dropped 0\.15% \(15 operations not started in time\) over the 0\.1% budget$/);
  });

  it('is uncertain when the band straddles the limit with few samples', () => {
    const v = variant([op('read', even(150, 1000, 50_600))]);
    const j = judgeStep(P99_50MS, BUDGETS, v, stepFacts(v, 15, HARNESS), 4);
    expect(j.certain).toBe(false);
  });

  it("reads chatbench's side from the engine: lateness with a free connection, GC, CPU of every thread, the floor", () => {
    const pct = (p99: number) => ({ p50: 1, p90: 1, p95: 1, p99, p999: p99, max: p99, mean: 1 });
    const v = variant([op('read', even(500, 1000, 2000), { harnessLagUs: pct(800), lagUs: pct(3000) }), op('rare', even(20, 1000, 2000), { harnessLagUs: pct(90_000), lagUs: pct(90_000) })], 4000);
    v.client = { gcPauseUs: { ...pct(2500), count: 40, totalMs: 60 }, cpuMs: 3000 };
    const f = stepFacts(v, 130, { workers: 2, floorUs: { p50: 70, p99: 180 } });
    // the operation with 20 samples does not stand for the step's p99
    expect(f).toMatchObject({ harnessLagP99Us: 800, lagP99Us: 3000, gcPauseP99Us: 2500, gcPauseMsPerSec: 15, clientCpuCores: 0.75, workers: 2, harnessFloorUs: { p50: 70, p99: 180 } });
    expect(stepFacts(variant([op('read', even(10, 1000, 2000))]), 10, { workers: 1, floorUs: null })).toMatchObject({ harnessLagP99Us: null, gcPauseP99Us: null, clientCpuCores: null });
  });
});

const facts = (f: Partial<CapacityStepFacts>): CapacityStepFacts => ({
  offeredPerSec: 1000,
  achievedPerSec: 1000,
  attempted: 10_000,
  ok: 10_000,
  failed: 0,
  dropped: 0,
  errorRate: 0,
  dropRate: 0,
  errors: {},
  latencyUs: { p50: 1000, p90: 2000, p95: 3000, p99: 5000, p999: 8000, max: 9000, mean: 1200 },
  serviceUs: { p50: 1000, p90: 2000, p95: 3000, p99: 5000, p999: 8000, max: 9000, mean: 1200 },
  serverExecMeanUs: 800,
  gcPauseP99Us: 300,
  gcPauseMsPerSec: 5,
  harnessLagP99Us: 200,
  lagP99Us: 2000,
  clientCpuCores: 0.4,
  workers: 1,
  harnessFloorUs: { p50: 60, p99: 150 },
  ...f,
});

describe('who set the limit', () => {
  const svc = (mean: number) => ({ ...facts({}).serviceUs, p50: mean, mean });
  const at = (rate: number, f: Partial<CapacityStepFacts> = {}) => facts({ offeredPerSec: rate, ...f });

  it('the design, when its server time grew first', () => {
    const series = [at(500), at(1000, { serverExecMeanUs: 1200, serviceUs: svc(1400) }), at(2000, { serverExecMeanUs: 3000, serviceUs: svc(3300), harnessLagP99Us: 5000 })];
    const a = attributeLimit(series, series[2], 8, ['p99 80 ms, over 50 ms'], 50_000);
    expect(a.limitedBy).toBe('server');
    expect(a.why).toMatch(/^p99 80 ms, over 50 ms; server time per operation 800 µs at 500\/s → 3\.00 ms/);
  });

  it('the design, when its connections were all busy (server time flat, nothing of chatbench grew)', () => {
    const series = [at(40, { serverExecMeanUs: 20_000, serviceUs: svc(20_400) }), at(80, { serverExecMeanUs: 20_000, serviceUs: svc(20_400) }), at(110, { serverExecMeanUs: 20_100, serviceUs: svc(20_500) })];
    const a = attributeLimit(series, series[2], 2, ['dropped 12%'], null);
    expect(a.limitedBy).toBe('server');
    expect(a.why).toMatch(/its 2 connections were all busy \(at 20\.5 ms per operation they serve about 98\/s\)/);
  });

  it('chatbench, when its own start lateness grew before the server time did', () => {
    const series = [at(500), at(1000, { harnessLagP99Us: 4000 }), at(2000, { harnessLagP99Us: 12_000, serverExecMeanUs: 1100 })];
    const a = attributeLimit(series, series[2], 8, ['p99 60 ms, over 50 ms'], 50_000);
    expect(a.limitedBy).toBe('harness');
    expect(a.why).toMatch(/^chatbench itself was the limit, not the design: its own start lateness p99 200 µs → 12\.0 ms from 1,000\/s, while the server's time per operation grew only from 2,000\/s/);
  });

  it('chatbench, when its GC pauses grew, or took a tenth of its load threads\' time', () => {
    const pauses = [at(500), at(1000, { gcPauseP99Us: 6000 })];
    expect(attributeLimit(pauses, pauses[1], 8, ['p99 60 ms'], 50_000).why).toMatch(/its GC pauses p99 300 µs → 6\.00 ms from 1,000\/s/);
    const share = [at(500), at(1000, { gcPauseMsPerSec: 150 })];
    expect(attributeLimit(share, share[1], 8, ['p99 60 ms'], 50_000)).toMatchObject({ limitedBy: 'harness', why: expect.stringMatching(/its load threads spent 15% of their time in GC/) });
    // the same pause time over two threads is 7.5% of each: not a signal
    const two = [at(500, { workers: 2 }), at(1000, { gcPauseMsPerSec: 150, workers: 2 })];
    expect(attributeLimit(two, two[1], 8, ['p99 60 ms'], 50_000).limitedBy).toBe('server');
  });

  it('chatbench, when the time outside the server grew and it used a whole core, server time flat', () => {
    const series = [at(500), at(2000, { serviceUs: svc(3000), clientCpuCores: 0.97 })];
    const a = attributeLimit(series, series[1], 8, ['p99 60 ms'], 50_000);
    expect(a.limitedBy).toBe('harness');
    expect(a.why).toMatch(/it used 97% of a core/);
    expect(a.why).toMatch(/time outside the server per operation 400 µs → 2\.20 ms/);
    expect(a.why).toMatch(/stayed flat/);
  });

  it('a whole core is the limit of one load thread, not of two', () => {
    const one = [at(500), at(2000, { clientCpuCores: 0.97 })];
    expect(attributeLimit(one, one[1], 8, ['p99 60 ms'], 50_000).limitedBy).toBe('harness');
    const two = [at(500, { workers: 2 }), at(2000, { clientCpuCores: 0.97, workers: 2 })];
    expect(attributeLimit(two, two[1], 8, ['p99 60 ms'], 50_000).limitedBy).toBe('server');
    const full = [at(500, { workers: 2 }), at(2000, { clientCpuCores: 1.85, workers: 2 })];
    expect(attributeLimit(full, full[1], 8, ['p99 60 ms'], 50_000).why).toMatch(/it used 185% of a core over 2 load threads/);
  });

  it('not chatbench for a few hundred µs more outside the server on a 20 ms operation', () => {
    const series = [at(60, { serverExecMeanUs: 21_150, serviceUs: svc(20_880) }), at(90, { serverExecMeanUs: 20_330, serviceUs: svc(20_700) }), at(105, { serverExecMeanUs: 20_410, serviceUs: svc(20_670) })];
    expect(attributeLimit(series, series[2], 2, ['dropped 11%'], 80_000).limitedBy).toBe('server');
  });

  it('not chatbench for GC pauses of 3 ms against an 80 ms objective, when the connections were all busy', () => {
    // seen: 2 connections each held 20 ms, 105/s offered; GC p99 555 µs -> 2.88 ms was blamed
    const series = [at(60, { serverExecMeanUs: 21_200, serviceUs: svc(21_400), gcPauseP99Us: 555 }), at(90, { serverExecMeanUs: 20_900, serviceUs: svc(21_100), gcPauseP99Us: 600 }), at(105, { serverExecMeanUs: 20_900, serviceUs: svc(21_100), gcPauseP99Us: 2880, latencyUs: { ...facts({}).latencyUs, p50: 176_300, p99: 400_000 } })];
    const a = attributeLimit(series, series[2], 2, ['p50 176.3 ms, over 80 ms'], 80_000);
    expect(a.limitedBy).toBe('server');
    expect(a.why).toMatch(/its 2 connections were all busy/);
    // the same pauses against a 5 ms objective are chatbench's
    expect(attributeLimit(series, series[2], 2, ['p50 6 ms, over 5 ms'], 5000).limitedBy).toBe('harness');
  });

  it('chatbench, when its own lateness alone is half the limit, or its floor is', () => {
    const late = [at(500, { harnessLagP99Us: 20_000 }), at(1000, { harnessLagP99Us: 30_000 })];
    expect(attributeLimit(late, late[1], 8, ['p99 60 ms'], 50_000).limitedBy).toBe('harness');
    const floor = [at(500, { harnessFloorUs: { p50: 300, p99: 700 } }), at(1000, { harnessFloorUs: { p50: 300, p99: 700 } })];
    expect(attributeLimit(floor, floor[1], 8, ['p99 1.2 ms'], 1000).why).toMatch(/its own floor \(SELECT 1\) p99 700 µs, half the limit or more from 500\/s/);
  });

  it('unknown, when both grew at the same step, or the server time cannot be read', () => {
    const both = [at(500), at(1000, { harnessLagP99Us: 9000, serverExecMeanUs: 1500 })];
    expect(attributeLimit(both, both[1], 8, ['p99 60 ms'], 50_000)).toMatchObject({ limitedBy: 'unknown', why: expect.stringMatching(/grew at the same step/) });
    const blind = [at(500, { serverExecMeanUs: null }), at(1000, { serverExecMeanUs: null, harnessLagP99Us: 9000 })];
    expect(attributeLimit(blind, blind[1], 8, ['p99 60 ms'], 50_000).limitedBy).toBe('unknown');
  });
});
