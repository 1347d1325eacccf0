// The variants a seed loads when --variants is not given: the designs that contrast most, in a
// documented order (docs/DATA.md, "Which designs a seed loads"), as many as the disk holds with a
// safety margin. `--variants all` still means every design (and is refused if it does not fit).
// And the groups they are seeded in: as many at once as the memory holds.
import type { Variant } from '../schema/variants.ts';

/**
 * Most informative first: the unpartitioned B-tree baseline, then its opposite (weekly partitions,
 * BRIN), then the monthly middle ground and the remaining layouts, then the feature toggles (which
 * differ from btree-monthly by one index or one trigger). Designs not listed follow, by name.
 */
export const CONTRAST_ORDER = ['btree-unpartitioned', 'brin-weekly', 'btree-monthly', 'brin-monthly', 'btree-weekly', 'btree-monthly-fts', 'btree-monthly-no-trigger'];

/** Bytes kept free: 10% of the free space, and at least 5 GB. */
export function safetyMargin(freeBytes: number): number {
  return Math.max(freeBytes * 0.1, 5 * 1024 ** 3);
}

export interface Choice {
  chosen: Variant[];
  /** Designs left out, in contrast order. */
  left: Variant[];
  /** Bytes the chosen designs and all designs need (estimates, with 10% for bloat and temporary files). */
  needBytes: number;
  allBytes: number;
}

export function inContrastOrder(all: Variant[]): Variant[] {
  const rank = (v: Variant) => {
    const i = CONTRAST_ORDER.indexOf(v.name);
    return i < 0 ? CONTRAST_ORDER.length : i;
  };
  return [...all].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/**
 * The default set: designs in contrast order, each taken if its estimated size (x1.1) still fits in
 * the free space less the safety margin; one that does not is passed over for smaller ones after it
 * (a disk a little short of the baseline still gets a BRIN design). Free space unknown (a server
 * given by URL): every design.
 */
export function chooseDefault(all: Variant[], bytesOf: (v: Variant) => number, freeBytes: number | undefined): Choice {
  const ordered = inContrastOrder(all);
  const need = (vs: Variant[]) => vs.reduce((a, v) => a + bytesOf(v) * 1.1, 0);
  if (freeBytes === undefined) return { chosen: ordered, left: [], needBytes: need(ordered), allBytes: need(ordered) };
  const room = freeBytes - safetyMargin(freeBytes);
  const chosen: Variant[] = [];
  for (const v of ordered) {
    if (need([...chosen, v]) <= room) chosen.push(v);
  }
  return { chosen, left: ordered.filter((v) => !chosen.includes(v)), needBytes: need(chosen), allBytes: need(ordered) };
}

/**
 * The variants seeded together, in their order: each group's estimated bytes fit in `cacheBytes`
 * (the memory left to the page cache), so its index builds and scans find the data its load just
 * wrote in memory. A group is generated once for all its variants and post-loaded before the next
 * loads. A variant bigger than the memory is a group of its own. Returns indexes into `bytes`.
 */
export function memoryGroups(bytes: number[], cacheBytes: number): number[][] {
  const groups: number[][] = [];
  let sum = 0;
  bytes.forEach((b, i) => {
    if (!groups.length || sum + b > cacheBytes) {
      groups.push([]);
      sum = 0;
    }
    groups.at(-1)!.push(i);
    sum += b;
  });
  return groups;
}
