import { describe, expect, it } from 'vitest';
import { blockUntilUs, nowUs } from './clock.ts';

describe('precise waits', () => {
  it('blockUntilUs never returns before the due time', () => {
    for (let k = 0; k < 20; k++) {
      const due = nowUs() + 300 + k * 50;
      blockUntilUs(due);
      expect(nowUs()).toBeGreaterThanOrEqual(due);
    }
  });
});
