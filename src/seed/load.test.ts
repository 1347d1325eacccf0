import { describe, expect, it } from 'vitest';
import { openAtOnce } from './load.ts';

describe('connections a pass holds', () => {
  it('counts the sinks open over the same chunk, at most', () => {
    // Monthly leaves in sequence, with a boundary chunk shared by two months.
    expect(openAtOnce([{ chunkFrom: 0, chunkTo: 5 }, { chunkFrom: 4, chunkTo: 9 }, { chunkFrom: 9, chunkTo: 12 }])).toBe(2);
    // Small data: every leaf in the one chunk.
    expect(openAtOnce(Array.from({ length: 14 }, () => ({ chunkFrom: 0, chunkTo: 1 })))).toBe(14);
    expect(openAtOnce([])).toBe(0);
  });
});
