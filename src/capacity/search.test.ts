import { describe, expect, it } from 'vitest';
import { advance, remainingSteps, roundRate, runSearch, startSearch, type SearchOptions } from './search.ts';

const OPTS: SearchOptions = { startRatePerSec: 100, maxRatePerSec: 100_000, minRatePerSec: 1, resolution: 0.05, maxSteps: 30, remeasures: 1 };

/** A design that carries up to `capacity` and fails above it, always certain. */
const knownCapacity = (capacity: number) => async (next: { ratePerSec: number }) => ({ pass: next.ratePerSec <= capacity, certain: true });

describe('capacity search', () => {
  it.each([937, 2_930, 100, 149, 12_345])('finds a known capacity of %d within the resolution', async (capacity) => {
    const out = await runSearch(OPTS, knownCapacity(capacity), (r) => r);
    expect(out.end).toBe('resolved');
    expect(out.lastGood!).toBeLessThanOrEqual(capacity);
    expect(out.firstBad!).toBeGreaterThan(capacity);
    expect(out.firstBad! / out.lastGood! - 1).toBeLessThanOrEqual(OPTS.resolution);
    // doubling, then bisection: a handful of steps, not a sweep
    expect(out.steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(capacity / 100)) + 1 + 6);
  });

  it('doubles, then bisects between the last good and the first bad rate', async () => {
    const out = await runSearch(OPTS, knownCapacity(937), (r) => r);
    expect(out.steps.map((s) => [s.ratePerSec, s.phase, s.verdict.pass])).toEqual([
      [100, 'ramp', true], [200, 'ramp', true], [400, 'ramp', true], [800, 'ramp', true], [1600, 'ramp', false],
      [1200, 'bisect', false], [1000, 'bisect', false], [900, 'bisect', true], [950, 'bisect', false], [925, 'bisect', true],
    ]);
    expect([out.lastGood, out.firstBad]).toEqual([925, 950]);
  });

  it('halves when even the start rate fails, and gives up below the minimum rate', async () => {
    const low = await runSearch(OPTS, knownCapacity(30), (r) => r);
    expect(low.steps.slice(0, 3).map((s) => [s.ratePerSec, s.phase])).toEqual([[100, 'ramp'], [50, 'descend'], [25, 'descend']]);
    expect(low.lastGood!).toBeLessThanOrEqual(30);
    expect(low.firstBad!).toBeGreaterThan(30);
    const never = await runSearch(OPTS, knownCapacity(0), (r) => r);
    expect(never.end).toBe('min-rate');
    expect(never.lastGood).toBeNull();
    expect(never.firstBad).toBe(1.57);
  });

  it('stops at the maximum rate when nothing fails', async () => {
    const out = await runSearch({ ...OPTS, maxRatePerSec: 1000 }, knownCapacity(1e9), (r) => r);
    expect(out.end).toBe('max-rate');
    expect(out.steps.map((s) => s.ratePerSec)).toEqual([100, 200, 400, 800, 1000]);
    expect([out.lastGood, out.firstBad]).toEqual([1000, null]);
  });

  it('measures an uncertain step again, longer, and lets that measurement decide', async () => {
    const attempts: Array<[number, number]> = [];
    const out = await runSearch(
      OPTS,
      async (next) => {
        attempts.push([next.ratePerSec, next.attempt]);
        // at 400 the first (short) measurement is inconclusive; the longer one fails
        if (next.ratePerSec === 400) return next.attempt === 0 ? { pass: true, certain: false } : { pass: false, certain: true };
        return { pass: next.ratePerSec < 400, certain: true };
      },
      (r) => r,
    );
    expect(attempts.slice(0, 4)).toEqual([[100, 0], [200, 0], [400, 0], [400, 1]]);
    expect(out.steps[2].status).toBe('superseded');
    expect(out.steps[3].status).toBe('decided');
    expect(out.firstBad).toBeLessThanOrEqual(400);
  });

  it('an uncertain step left uncertain after its re-measurement is decided by its point estimate', () => {
    let s = startSearch(OPTS);
    s = advance(s, OPTS, { pass: true, certain: false });
    expect(s.next).toEqual({ ratePerSec: 100, phase: 'ramp', attempt: 1 });
    s = advance(s, OPTS, { pass: true, certain: false });
    expect(s.next).toEqual({ ratePerSec: 200, phase: 'ramp', attempt: 0 });
    expect(s.lastGood).toBe(100);
  });

  it('ends at maxSteps with the bracket found so far', async () => {
    const out = await runSearch({ ...OPTS, maxSteps: 6 }, knownCapacity(937), (r) => r);
    expect(out.end).toBe('max-steps');
    expect(out.steps).toHaveLength(6);
    expect([out.lastGood, out.firstBad]).toEqual([800, 1200]);
  });

  it('stops when interrupted, with the interrupted step not judged', async () => {
    let n = 0;
    const out = await runSearch(OPTS, async () => ({ pass: true, certain: true, interrupted: ++n === 3 }), (r) => r);
    expect(out.end).toBe('interrupted');
    expect(out.steps.map((s) => s.status)).toEqual(['decided', 'decided', 'interrupted']);
    expect(out.lastGood).toBe(200);
  });

  it('rounds rates to three significant digits and estimates the steps left', () => {
    expect([roundRate(2929.6875), roundRate(1.5625), roundRate(99_999)]).toEqual([2930, 1.56, 100_000]);
    const s = { lastGood: 800, firstBad: 1600, steps: 5, next: { ratePerSec: 1200, phase: 'bisect' as const, attempt: 0 }, end: null };
    expect(remainingSteps(s, OPTS)).toBe(5);
    expect(remainingSteps(startSearch(OPTS), OPTS)).toBe(7);
  });
});
