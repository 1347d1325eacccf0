import { describe, expect, it } from 'vitest';
import { etaMs, rates, type ProgressState } from './progress.ts';

const state = (over: Partial<ProgressState>): ProgressState => ({ phase: 'load', current: new Map(), rowsDone: 0, rowsTotal: 1000, bytesDone: 0, tasksWeight: 100, tasksDone: 0, loadStartMs: 0, postStartMs: 0, ...over });

describe('the progress line', () => {
  it('rates over the samples given', () => {
    const r = rates([{ t: 0, rows: 0, bytes: 0, walBytes: 0, rssBytes: 1 }, { t: 2000, rows: 1000, bytes: 4e6, walBytes: 2e6, rssBytes: 1 }]);
    expect(r).toEqual({ rowsPerSec: 500, mbPerSec: 2, walMbPerSec: 1 });
    expect(rates([{ t: 0, rows: 0, bytes: 0, walBytes: null, rssBytes: 1 }, { t: 1000, rows: 1, bytes: 1, walBytes: null, rssBytes: 1 }]).walMbPerSec).toBeNull();
  });

  it('ETA while loading: the rest of the load extrapolated, plus the post-load estimate scaled by how the load compares with its own', () => {
    // a quarter loaded in 30 s: 90 s of load left; the load runs 1.2x slower than estimated (100 s), so post-load 50 s -> 60 s
    expect(etaMs(state({ rowsDone: 250 }), 30_000, { loadMs: 100_000, postLoadMs: 50_000 })).toBeCloseTo(90_000 + 60_000);
    // the scale is clamped to [0.5, 2]
    expect(etaMs(state({ rowsDone: 250 }), 300_000, { loadMs: 100_000, postLoadMs: 50_000 })).toBeCloseTo(900_000 + 100_000);
    // nothing loaded yet: the estimates as they are
    expect(etaMs(state({ rowsDone: 0 }), 10_000, { loadMs: 100_000, postLoadMs: 50_000 })).toBe(140_000);
    expect(etaMs(state({ rowsDone: 0 }), 10_000)).toBeUndefined();
  });

  it('ETA after the load: the estimate, blended into the work done as it grows', () => {
    const s = state({ phase: 'post-load', postStartMs: 100_000 });
    expect(etaMs({ ...s, tasksDone: 0 }, 110_000, { loadMs: 1, postLoadMs: 60_000 })).toBe(50_000);
    // half the work in 20 s: by work 20 s left, by estimate 40 s: blended half and half
    expect(etaMs({ ...s, tasksDone: 50 }, 120_000, { loadMs: 1, postLoadMs: 60_000 })).toBeCloseTo(30_000);
    expect(etaMs({ ...s, tasksDone: 50 }, 120_000)).toBeCloseTo(20_000);
  });

  it('ETA of a seed in groups: the group being seeded, plus the later groups\' estimate (scaled like the post-load while loading)', () => {
    expect(etaMs(state({ phase: 'create' }), 0, { loadMs: 100_000, postLoadMs: 50_000, laterMs: 300_000 })).toBe(450_000);
    // a quarter loaded in 30 s, 1.2x slower than estimated: the later groups too
    expect(etaMs(state({ rowsDone: 250 }), 30_000, { loadMs: 100_000, postLoadMs: 50_000, laterMs: 300_000 })).toBeCloseTo(90_000 + 60_000 + 360_000);
    const s = state({ phase: 'post-load', postStartMs: 100_000 });
    expect(etaMs({ ...s, tasksDone: 0 }, 110_000, { loadMs: 1, postLoadMs: 60_000, laterMs: 300_000 })).toBe(350_000);
    expect(etaMs({ ...s, tasksDone: 50 }, 120_000, { loadMs: 1, postLoadMs: 60_000, laterMs: 300_000 })).toBeCloseTo(330_000);
  });
});
