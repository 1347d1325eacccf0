import { describe, expect, it } from 'vitest';
import { freeAfterThatFits, planGrowth, sizeDatabase, type GrowthItem } from './plan.ts';

const GB = 1e9;
const item = (messages: number, variant: string, gb: number, state: GrowthItem['state'] = 'seed', free = false): GrowthItem => ({ messages, variant, database: sizeDatabase('chatbench', messages), state, estimatedBytes: gb * GB, seedSeconds: 60, measureSeconds: 40, free });

describe('growth plan', () => {
  const designs = ['btree-unpartitioned', 'btree-weekly', 'brin-monthly'];
  const items = (freeAt: number[] = []) => [1e6, 1e7, 1e8].flatMap((m) => designs.map((v) => item(m, v, m === 1e8 ? 37 : m === 1e7 ? 3.7 : 0.37, 'seed', freeAt.includes(m))));

  it('names one database per size', () => {
    expect([1e5, 1e6, 2.5e6, 1e8, 1e9].map((m) => sizeDatabase('chatbench', m))).toEqual(['chatbench_100k', 'chatbench_1m', 'chatbench_2_5m', 'chatbench_100m', 'chatbench_1b']);
  });

  it('three designs at 100M do not fit in 80 GB at once; dropping each once measured does', () => {
    const all = planGrowth(items(), 80 * GB);
    expect(all.peakBytes).toBeCloseTo(3 * 37 * GB + 3 * 3.7 * GB + 3 * 0.37 * GB, -6);
    expect(all.fits).toBe(false);
    expect(freeAfterThatFits(items(), 80 * GB)).toEqual([1e8]);
    const freed = planGrowth(items([1e8]), 80 * GB);
    expect(freed.fits).toBe(true);
    expect(freed.peakBytes).toBeCloseTo(37 * GB + 3 * 3.7 * GB + 3 * 0.37 * GB, -6);
  });

  it('reused data takes no new space and no seed time; nothing fits in too little space', () => {
    const reused = [item(1e6, 'a', 1, 'reuse'), item(1e7, 'a', 10)];
    const p = planGrowth(reused, 12 * GB);
    expect(p.peakBytes).toBe(10 * GB);
    expect(p.seconds).toBe(40 + 60 + 40);
    expect(freeAfterThatFits([item(1e6, 'a', 1), item(1e7, 'a', 10)], 5 * GB)).toBeNull();
    // one design at two sizes: dropping the smaller one first is what makes room
    expect(freeAfterThatFits([item(1e6, 'a', 4), item(2e6, 'a', 8)], 10 * GB)).toEqual([1e6]);
  });

  it('an unknown free space (a server by URL) is not refused', () => {
    expect(planGrowth(items(), null).fits).toBe(true);
  });
});
