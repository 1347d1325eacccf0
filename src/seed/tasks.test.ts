import { describe, expect, it } from 'vitest';
import { nextTask, type Task } from './tasks.ts';

const task = (key: string, reads?: string): Task => ({ variant: 'v', schema: 's', key, step: 'indexes', after: [], exclusive: [], shared: [], weight: 1, reads, run: async () => undefined });

describe('nextTask', () => {
  // In order of preference (largest first), as runTasks keeps them.
  const a1 = task('channel_id on January', 'jan');
  const b1 = task('channel_id on March', 'mar');
  const a2 = task('author_id on January', 'jan');
  const other = task('attach');
  const pending = [a1, b1, a2, other];

  it('takes the first ready task when nothing running reads a relation', () => {
    expect(nextTask(pending, [], () => true)).toBe(a1);
    expect(nextTask(pending, [other], () => true)).toBe(a1);
    expect(nextTask(pending, [], (t) => t !== a1)).toBe(b1);
  });

  it('prefers a ready task reading what a running task reads, over larger ones', () => {
    expect(nextTask([b1, a2, other], [a1], () => true)).toBe(a2);
    expect(nextTask([a1, a2, other], [b1], () => true)).toBe(a1); // nothing reads March: the first
    expect(nextTask([b1, a2, other], [a1], (t) => t !== a2)).toBe(b1); // not ready: the first ready one
    expect(nextTask([other], [a1], () => true)).toBe(other);
    expect(nextTask([a2], [a1], () => false)).toBeUndefined();
  });
});
