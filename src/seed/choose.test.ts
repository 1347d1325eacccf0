import { describe, expect, it } from 'vitest';
import type { Variant } from '../schema/variants.ts';
import { chooseDefault, CONTRAST_ORDER, inContrastOrder, memoryGroups, safetyMargin } from './choose.ts';

const GB = 1024 ** 3;
const v = (name: string) => ({ name }) as Variant;
const all = ['btree-monthly', 'brin-weekly', 'zz-new-design', 'btree-unpartitioned', 'btree-weekly'].map(v);

describe('the default set of variants', () => {
  it('orders designs by contrast, unknown ones last', () => {
    expect(inContrastOrder(all).map((x) => x.name)).toEqual(['btree-unpartitioned', 'brin-weekly', 'btree-monthly', 'btree-weekly', 'zz-new-design']);
    expect(CONTRAST_ORDER[0]).toBe('btree-unpartitioned');
  });

  it('takes designs in that order while they fit the free space less the margin', () => {
    // 68 GB free, margin 6.8 GB: 37 GB x 1.1 = 40.7 GB fits once, not twice.
    const c = chooseDefault(all, () => 37 * GB, 68 * GB);
    expect(c.chosen.map((x) => x.name)).toEqual(['btree-unpartitioned']);
    expect(c.left.length).toBe(4);
    expect(c.needBytes).toBeCloseTo(37 * GB * 1.1);
    expect(c.allBytes).toBeCloseTo(5 * 37 * GB * 1.1);
    expect(chooseDefault(all, () => 1 * GB, 68 * GB).chosen.length).toBe(5);
    expect(chooseDefault(all, () => 70 * GB, 68 * GB).chosen).toEqual([]);
  });

  it('passes over a design that does not fit for a smaller one after it', () => {
    // This machine at 100M: 46.2 GB free, margin 5 GB; the B-tree designs 37.8 GB (41.6 with 10%) do not fit, BRIN 35.7 (39.3) does.
    const size = (x: Variant) => (x.name.startsWith('brin') ? 35.7 : 37.8) * GB;
    const c = chooseDefault(all, size, 46.2 * GB);
    expect(c.chosen.map((x) => x.name)).toEqual(['brin-weekly']);
    expect(c.left.map((x) => x.name)).toEqual(['btree-unpartitioned', 'btree-monthly', 'btree-weekly', 'zz-new-design']);
  });

  it('keeps at least 5 GB free, or 10% of the free space', () => {
    expect(safetyMargin(10 * GB)).toBe(5 * GB);
    expect(safetyMargin(200 * GB)).toBe(20 * GB);
  });

  it('seeds every design when the free space cannot be known', () => {
    expect(chooseDefault(all, () => 1000 * GB, undefined).chosen.length).toBe(5);
  });
});

describe('the groups a seed loads one after another', () => {
  it('keeps the order, and starts a group where the next design would outgrow the memory', () => {
    // seven designs of 3.7 GB (one of 4.5) at 10M, 13 GB of page cache: three, three, one
    expect(memoryGroups([3.7, 3.2, 3.7, 3.3, 3.8, 4.5, 3.7].map((x) => x * GB), 13 * GB)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(memoryGroups([1, 1, 1].map((x) => x * GB), 13 * GB)).toEqual([[0, 1, 2]]);
    // a design bigger than the memory is a group of its own (at 100M each is 37 GB)
    expect(memoryGroups([37, 37, 2, 2].map((x) => x * GB), 13 * GB)).toEqual([[0], [1], [2, 3]]);
    expect(memoryGroups([], 13 * GB)).toEqual([]);
  });
});
