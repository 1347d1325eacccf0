import { describe, expect, it } from 'vitest';
import { EventWindow } from './event-window.ts';

describe('EventWindow', () => {
  it('counts an operation as in the event when it was in flight at any moment of it', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const w = new EventWindow(0);
    w.record(100, 900_000, 800_000); // ended before the event: outside
    now = 1_000_000;
    await w.begin(undefined, clock);
    w.record(990_000, 1_200_000, 210_000); // started before, ended during: in it
    w.record(1_100_000, 1_150_000, 50_000); // inside: in it
    now = 2_000_000;
    const out = await w.end(undefined, clock);
    w.record(1_900_000, 2_500_000, 600_000); // started before the end, finished after it: in it
    w.record(2_000_001, 2_100_000, 99_999); // started after the end: outside
    expect(out.startMs).toBe(1000);
    expect(out.durationMs).toBe(1000);
    expect(out.walBytes).toBeNull();
    expect(out.during.totalCount).toBe(3);
    expect(out.outside.totalCount).toBe(2);
    expect(out.during.maxValue).toBeGreaterThanOrEqual(599_000);
  });
});
