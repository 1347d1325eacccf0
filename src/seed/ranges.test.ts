import { describe, expect, it } from 'vitest';
import { compareRanges, RangeCounts, rangeBounds, rangeOf, type RangeSpec } from './ranges.ts';

const spec: RangeSpec = { table: 'messages', column: 0, columnName: 'id', lo: 1000, width: 100, count: 5 };

describe('verification ranges', () => {
  it('puts keys in ranges of the given width, the outliers in the first and last', () => {
    expect([999, 1000, 1099, 1100, 1499, 1500, 10 ** 15].map((k) => rangeOf(spec, k))).toEqual([0, 0, 0, 1, 4, 4, 4]);
    expect(rangeBounds(spec, 0)).toEqual([-Infinity, 1100]);
    expect(rangeBounds(spec, 2)).toEqual([1200, 1300]);
    expect(rangeBounds(spec, 4)).toEqual([1400, Infinity]);
  });

  it('counts rows and sums keys modulo 2^32, exactly for snowflake-sized keys', () => {
    const c = new RangeCounts({ ...spec, lo: 0, width: 2 ** 52 });
    const big = 2 ** 53 - 1;
    c.add(new Float64Array([big, big, 5]));
    expect(c.entries()).toEqual([[0, 1, 5], [1, 2, ((big % 2 ** 32) * 2) % 2 ** 32]]);
  });

  it('reports a lost range, a duplicated range and a moved row', () => {
    const loaded = new Map<number, [number, number]>([[0, [10, 500]], [1, [10, 700]], [2, [10, 900]]]);
    const held = new Map<number, [number, number]>([[0, [10, 500]], [1, [20, 1400]], [2, [10, 901]]]);
    const m = compareRanges(spec, loaded, held);
    expect(m.map((x) => [x.range, x.expectedRows, x.actualRows])).toEqual([[1, 10, 20], [2, 10, 10]]);
    held.delete(0);
    expect(compareRanges(spec, loaded, held)[0]).toMatchObject({ range: 0, expectedRows: 10, actualRows: 0 });
  });
});
