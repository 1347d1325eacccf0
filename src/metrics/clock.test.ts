import { describe, expect, it } from 'vitest';
import { bareScheduleLateness, blockUntilUs, nowUs } from './clock.ts';

describe('precise waits', () => {
  it('blockUntilUs never returns before the due time', () => {
    for (let k = 0; k < 20; k++) {
      const due = nowUs() + 300 + k * 50;
      blockUntilUs(due);
      expect(nowUs()).toBeGreaterThanOrEqual(due);
    }
  });
});

describe('the bare schedule', () => {
  it('keeps a seeded Poisson schedule: the same starts for the same seed, lateness never negative', () => {
    for (const mode of ['sleep', 'spin'] as const) {
      const a = bareScheduleLateness(2000, 150, mode, 7);
      const b = bareScheduleLateness(2000, 150, mode, 7);
      // 300 arrivals expected in 150 ms at 2,000/s; the count depends on the seed's gaps alone.
      expect(a.length).toBe(b.length);
      expect(a.length).toBeGreaterThan(240);
      expect(a.length).toBeLessThan(360);
      expect(Math.min(...a, ...b)).toBeGreaterThanOrEqual(0);
    }
  });
});
