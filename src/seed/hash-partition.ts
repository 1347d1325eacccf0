// PostgreSQL's hash partitioning of one integer column, computed here so the loader can route rows
// to hash partitions itself (each partition then loads with COPY FREEZE in its own transaction, as
// range partitions do). The server checks every row it is given against the partition's constraint,
// so a row routed wrongly is refused (23514), never stored in the wrong place. Pure.

/** HASH_PARTITION_SEED (src/include/catalog/partition.h), as two 32-bit halves. */
const SEED_HI = 0x7a5b2236;
const SEED_LO = 0x7996dcfd;
/** The constant hash_combine64() adds (src/include/common/hashfn.h), as two 32-bit halves. */
const COMBINE_HI = 0x49a0f4dd;
const COMBINE_LO = 0x15e5a8e3;
const TWO32 = 4294967296;

const rot = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** a, b, c of hash_uint32_extended() after the seed is mixed in (the same for every key). */
const SEEDED = (() => {
  let a = (0x9e3779b9 + 4 + 3923095) >>> 0;
  let b = a;
  let c = a;
  a = (a + SEED_HI) >>> 0;
  b = (b + SEED_LO) >>> 0;
  // mix(a, b, c) of src/common/hashfn.c
  a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0;
  return [a, b, c] as const;
})();

/**
 * hashint8extended(value, HASH_PARTITION_SEED) as [high, low] 32-bit halves, for an integer that
 * a double holds exactly (|value| < 2^53). int4 and int2 hash the same way as int8 for their values.
 */
export function hashInt8Extended(value: number): [number, number] {
  // The 64-bit two's complement halves of the value, and lohalf ^= (val >= 0 ? hihalf : ~hihalf).
  const hi = Math.floor(value / TWO32);
  const lo = value - hi * TWO32;
  const hihalf = hi >>> 0;
  const k = (lo ^ (value >= 0 ? hihalf : ~hihalf)) >>> 0;
  let [a, b, c] = SEEDED;
  a = (a + k) >>> 0;
  // final(a, b, c)
  c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0;
  return [b, c];
}

/**
 * The row hash of a one-column key (hash_combine64(0, hash)), modulo `modulus`: the partition with
 * this remainder (for that modulus) holds the row.
 */
export function hashRemainder(value: number, modulus: number): number {
  const [h, l] = hashInt8Extended(value);
  // (h:l) + COMBINE, mod 2^64, then mod modulus, in halves a double holds exactly.
  const low = l + COMBINE_LO;
  const lo = low % TWO32;
  const hi = (h + COMBINE_HI + (low >= TWO32 ? 1 : 0)) % TWO32;
  return ((hi % modulus) * (TWO32 % modulus) + (lo % modulus)) % modulus;
}
