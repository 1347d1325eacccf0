import { describe, expect, it } from 'vitest';
import { WakeThread, blockUntilUs, epochUs, nowUs } from './clock.ts';

describe('precise waits', () => {
  it('blockUntilUs never returns before the due time', () => {
    for (let k = 0; k < 20; k++) {
      const due = nowUs() + 300 + k * 50;
      blockUntilUs(due);
      expect(nowUs()).toBeGreaterThanOrEqual(due);
    }
  });

  it('a wake thread calls back once, not before the time asked; a newer request replaces an older one; cancel stops it', async () => {
    const wake = new WakeThread();
    try {
      const fired: number[] = [];
      const target = epochUs() + 20_000;
      wake.wakeAt(epochUs() + 5_000, () => fired.push(-1)); // replaced before it is due
      wake.wakeAt(target, () => fired.push(epochUs()));
      await new Promise((r) => setTimeout(r, 200));
      expect(fired).toHaveLength(1);
      expect(fired[0]).toBeGreaterThanOrEqual(target);
      wake.wakeAt(epochUs() + 10_000, () => fired.push(-2));
      expect(wake.waiting).toBe(true);
      wake.cancel();
      expect(wake.waiting).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
      expect(fired).toHaveLength(1);
    } finally {
      await wake.close();
    }
  });
});
