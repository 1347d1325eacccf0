import { describe, expect, it } from 'vitest';
import { hashInt8Extended, hashRemainder } from './hash-partition.ts';

/** hashint8extended(v, 8816678312871386365) and the partition a 16-way hash table put v in, both from PostgreSQL 18. */
const SERVER: Array<[number, bigint, number]> = [
  [0, -4403592609991167795n, 0],
  [1, 5968994663651403477n, 8],
  [-1, -5017072347659237694n, 5],
  [2, -6784076462669891433n, 10],
  [42, 7363975540656877951n, 2],
  [4294967295, -5017072347659237694n, 5],
  [4294967296, 5968994663651403477n, 8],
  [-4294967296, -4403592609991167795n, 0],
  [123456789012345, 1245190300417211467n, 14],
  [9007199254740991, 3111600140043293142n, 9],
  [-9007199254740991, 8386863795235381166n, 1],
];

describe("PostgreSQL's hash partitioning, computed here", () => {
  it('hashes an int8 as hashint8extended does with the partition seed', () => {
    for (const [v, h] of SERVER) {
      const [hi, lo] = hashInt8Extended(v);
      expect(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)), String(v)).toBe(h);
    }
  });

  it('puts a key in the partition the server does, with equal and with mixed moduli', () => {
    for (const [v, , part] of SERVER) expect(hashRemainder(v, 16), String(v)).toBe(part);
    // MODULUS 2 REMAINDER 0 (a), MODULUS 6 REMAINDERS 1, 3, 5 (b, c, d): where the server put them
    const mixed: Array<[number, string]> = [[-9007199254740991, 'b'], [-4294967296, 'a'], [-1, 'd'], [0, 'a'], [1, 'a'], [7, 'b'], [4294967295, 'd'], [9007199254740991, 'd']];
    const leaf = (v: number) => (hashRemainder(v, 2) === 0 ? 'a' : ({ 1: 'b', 3: 'c', 5: 'd' } as Record<number, string>)[hashRemainder(v, 6)]);
    for (const [v, want] of mixed) expect(leaf(v), String(v)).toBe(want);
  });
});
