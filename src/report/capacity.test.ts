import { describe, expect, it } from 'vitest';
import type { CapacityDesignResult, CapacityResults } from '../results/types.ts';
import { capacityVerdict, compareCapacity } from './capacity.ts';

const design = (variant: string, capacityPerSec: number | null, firstBadPerSec: number | null, limitedBy: CapacityDesignResult['limitedBy'] = 'server'): CapacityDesignResult => ({ variant, capacityPerSec, firstBadPerSec, end: firstBadPerSec === null ? 'max-rate' : 'resolved', limitedBy, why: 'because', steps: [] });

function run(runId: string, designs: CapacityDesignResult[]): CapacityResults {
  return {
    schemaVersion: 1,
    kind: 'capacity',
    runId,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    command: 'npm run capacity chat-mix -- --slo p99<50ms',
    partial: false,
    environment: { versions: { chatbench: '0', gitCommit: null, node: 'v20', postgres: 'PostgreSQL 18.4' }, machine: { cores: 2, memBytes: 1, platform: 'linux', cpuModel: 'x' }, serverSettings: {}, target: 't', targetKind: 'embedded' },
    scenario: { name: 'chat-mix', description: '', question: '', operations: [] },
    config: { variants: designs.map((d) => d.variant), slo: [{ text: 'p99<50ms', percentile: 99, operation: null, limitUs: 50_000, inclusive: false }], maxErrorRate: 0.001, maxDropRate: 0.001, stepMs: 30_000, warmupMs: 5000, startRatePerSec: 100, maxRatePerSec: 100_000, minRatePerSec: 1, resolution: 0.05, maxSteps: 20, remeasures: 1, connections: 8, arrivals: 'poisson', seed: 1 },
    seed: null,
    variants: designs,
  };
}

describe('capacity verdict', () => {
  it('names the best design, the others as a ratio to it', () => {
    const v = capacityVerdict(run('a', [design('btree-monthly', 2300, 2450), design('brin-weekly', 2900, 3050)]));
    expect(v.headline).toBe('brin-weekly carries 2,900 ops/s at p99 < 50 ms; btree-monthly 2,300, 0.79× (8 connections, open loop)');
    expect(v.rows.map((r) => [r.variant, r.withinResolution])).toEqual([['brin-weekly', false], ['btree-monthly', false]]);
  });

  it('says "at least" when nothing failed, "below" when nothing passed, and who was the limit', () => {
    const v = capacityVerdict(run('a', [design('a', 100_000, null, null), design('b', 2800, 2950, 'harness'), design('c', null, 1.57)]));
    expect(v.headline).toBe('a carries at least 100,000 ops/s at p99 < 50 ms; b 2,800, 0.03× (chatbench was the limit); c below 1.57 (8 connections, open loop)');
  });

  it('marks designs whose ranges overlap as within the search resolution', () => {
    const v = capacityVerdict(run('a', [design('a', 2900, 3050), design('b', 2850, 2990)]));
    expect(v.rows[1]).toMatchObject({ variant: 'b', withinResolution: true });
    expect(v.headline).toMatch(/b 2,850, 0\.98× \(within the search resolution\)/);
  });
});

describe('comparing capacities', () => {
  const base = run('base', [design('brin-weekly', 2900, 3050), design('btree-monthly', 2300, 2450)]);

  it('a fall beyond the threshold that failed where the baseline carried is a regression', () => {
    const c = compareCapacity([base, run('new', [design('brin-weekly', 2000, 2150), design('btree-monthly', 2300, 2450)])], 0.1);
    expect(c.regressions).toBe(1);
    expect(c.rows[0].runs[0]).toMatchObject({ regression: true, change: expect.closeTo(2000 / 2900 - 1, 9) });
    expect(c.rows[1].runs[0]).toMatchObject({ regression: false, change: 0 });
  });

  it('a fall inside the search resolution is not (it never failed at a rate the baseline carried)', () => {
    // lower by 12%, but its first failure is above the baseline's capacity: the brackets overlap
    const c = compareCapacity([run('b', [design('x', 2900, 3400)]), run('n', [design('x', 2550, 2950)])], 0.1);
    expect(c.regressions).toBe(0);
    expect(c.rows[0].runs[0].note).toMatch(/within the search resolution/);
  });

  it('losing the capacity altogether is a regression; a higher one is not', () => {
    expect(compareCapacity([base, run('n', [design('brin-weekly', null, 50)])], 0.1).regressions).toBe(1);
    expect(compareCapacity([base, run('n', [design('brin-weekly', 5000, 5200)])], 0.1).regressions).toBe(0);
  });
});
