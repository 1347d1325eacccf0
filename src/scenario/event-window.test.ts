import { describe, expect, it } from 'vitest';
import { EventWindow, mergeEventWindows, newEventSpan } from './event-window.ts';

describe('EventWindow', () => {
  it('counts an operation as in the event when it was in flight at any moment of it, in whichever worker it ran', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const span = newEventSpan();
    const runner = new EventWindow(span, 0); // the worker that runs the event
    const other = new EventWindow(span, 0); // another worker, seeing the span through shared memory
    runner.record(100, 900_000, 800_000); // ended before the event: outside
    await runner.begin(undefined, clock);
    other.record(990_000, 1_200_000, 210_000); // started before, ended during: in it
    runner.record(1_100_000, 1_150_000, 50_000); // inside: in it
    now = 2_000_000;
    await runner.end(undefined, clock);
    other.record(1_900_000, 2_500_000, 600_000); // started before the end, finished after it: in it
    other.record(2_000_001, 2_100_000, 99_999); // started after the end: outside
    expect(other.encode().ran).toBeUndefined();
    const out = mergeEventWindows([other.encode(), runner.encode()])!;
    expect(out.startMs).toBeCloseTo(1000, 0);
    expect(out.durationMs).toBeCloseTo(1000, 0);
    expect(out.walBytes).toBeNull();
    expect(out.during.totalCount).toBe(3);
    expect(out.outside.totalCount).toBe(2);
    expect(out.during.maxValue).toBeGreaterThanOrEqual(599_000);
  });

  it('says nothing when the event never ran (the run stopped before it)', () => {
    const w = new EventWindow(newEventSpan(), 0);
    w.record(0, 10, 10);
    expect(mergeEventWindows([w.encode()])).toBeUndefined();
  });
});
