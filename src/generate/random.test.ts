import { describe, expect, it } from 'vitest';
import { AliasTable, Permutation, RowRng, ZipfSampler, hash2, streamKey, zipfRank } from './random.ts';

describe('Permutation', () => {
  it.each([1, 2, 7, 100, 1000, 4097])('is a bijection on [0, %d) with an exact inverse', (n) => {
    const p = new Permutation(n, 12345);
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const x = p.at(i);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(n);
      expect(p.indexOf(x)).toBe(i);
      seen.add(x);
    }
    expect(seen.size).toBe(n);
  });
  it('depends on its key', () => {
    const a = new Permutation(1000, 1);
    const b = new Permutation(1000, 2);
    let same = 0;
    for (let i = 0; i < 1000; i++) if (a.at(i) === b.at(i)) same++;
    expect(same).toBeLessThan(20);
  });
});

describe('distributions', () => {
  it('zipf ranks stay in range and favour low ranks', () => {
    const rng = new RowRng().reset(7);
    const z = new ZipfSampler(100, 1.1);
    const counts = new Array(100).fill(0);
    for (let i = 0; i < 20000; i++) {
      const r = z.draw(rng.next());
      counts[r]++;
      expect(zipfRank(rng.next(), 100, 1.1)).toBeLessThan(100);
    }
    expect(counts[0]).toBeGreaterThan(counts[10] * 3);
    expect(counts[10]).toBeGreaterThan(counts[90]);
  });
  it('alias tables follow their weights', () => {
    const t = new AliasTable([1, 0, 3]);
    const rng = new RowRng().reset(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 40000; i++) counts[t.draw(rng.next(), rng.next())]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.7);
    expect(counts[2] / counts[0]).toBeLessThan(3.3);
  });
  it('hashes are pure and keyed', () => {
    expect(hash2(1, 2 ** 40 + 5)).toBe(hash2(1, 2 ** 40 + 5));
    expect(hash2(1, 5)).not.toBe(hash2(2, 5));
    expect(streamKey(42, 'users')).not.toBe(streamKey(42, 'servers'));
  });
});
