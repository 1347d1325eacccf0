import { describe, expect, it } from 'vitest';
import { blockUntilUs, measureScheduleFloor, nowUs } from './clock.ts';

describe('precise waits', () => {
  it('blockUntilUs never returns before the due time', () => {
    for (let k = 0; k < 20; k++) {
      const due = nowUs() + 300 + k * 50;
      blockUntilUs(due);
      expect(nowUs()).toBeGreaterThanOrEqual(due);
    }
  });
});

describe('the schedule floor', () => {
  it('keeps a seeded Poisson schedule: the same starts for the same seed, lateness never negative', () => {
    for (const mode of ['sleep', 'spin'] as const) {
      const a = measureScheduleFloor(2000, 150, mode, 7);
      const b = measureScheduleFloor(2000, 150, mode, 7);
      expect(a.mode).toBe(mode);
      // 300 arrivals expected in 150 ms at 2,000/s; the count depends on the seed's gaps alone.
      expect(a.starts).toBe(b.starts);
      expect(a.starts).toBeGreaterThan(240);
      expect(a.starts).toBeLessThan(360);
      expect(a.p50Us).toBeGreaterThanOrEqual(0);
      expect(a.p50Us).toBeLessThanOrEqual(a.p99Us);
      expect(a.p99Us).toBeLessThanOrEqual(a.maxUs);
    }
  });
});
