// The growth plan: for each size and design, whether its data is already there (reused), half
// loaded (resumed) or to be seeded, what it needs on disk (the seeder's estimate), how long it takes,
// and whether it is dropped once measured; the peak disk use in that order against the free space.
import { shortCount } from '../metrics/format.ts';

export interface GrowthItem {
  messages: number;
  variant: string;
  /** The database holding (or to hold) this size. */
  database: string;
  state: 'reuse' | 'resume' | 'seed';
  /** Bytes on disk the seeder estimates for this design at this size. */
  estimatedBytes: number;
  seedSeconds: number;
  measureSeconds: number;
  /** Dropped once measured (--free-after); never for data that was there before the run. */
  free: boolean;
}

export interface GrowthPlan {
  items: GrowthItem[];
  /** Most bytes this run adds at any moment, in its order, freeing as planned. */
  peakBytes: number;
  /** Free bytes where the data goes (null: unknown, e.g. a server given by URL). */
  freeBytes: number | null;
  seconds: number;
  fits: boolean;
}

/** The seeder refuses a seed that leaves less than this margin; the plan uses the same. */
export const DISK_MARGIN = 1.1;

/** `chatbench` + 1M -> `chatbench_1m`; 2.5M -> `chatbench_2_5m`. */
export function sizeDatabase(base: string, messages: number): string {
  return `${base}_${shortCount(messages).toLowerCase().replace('.', '_')}`.slice(0, 63);
}

/** What data a run adds: only seeded (or resumed) items take new space; freed ones give it back. */
export function planGrowth(items: GrowthItem[], freeBytes: number | null): GrowthPlan {
  let now = 0;
  let peak = 0;
  for (const it of items) {
    if (it.state === 'reuse') continue;
    now += it.estimatedBytes;
    peak = Math.max(peak, now);
    if (it.free) now -= it.estimatedBytes;
  }
  const seconds = items.reduce((a, it) => a + (it.state === 'reuse' ? 0 : it.seedSeconds) + it.measureSeconds, 0);
  return { items, peakBytes: peak, freeBytes, seconds, fits: freeBytes === null || peak * DISK_MARGIN <= freeBytes };
}

/**
 * The --free-after that makes the plan fit with the fewest sizes dropped (keeping the smaller sizes
 * when there is a choice: they are the cheap ones to keep); null if even dropping all does not.
 */
export function freeAfterThatFits(items: GrowthItem[], freeBytes: number): number[] | null {
  const sizes = [...new Set(items.map((i) => i.messages))].sort((a, b) => a - b);
  const subsets = Array.from({ length: 2 ** sizes.length }, (_, mask) => sizes.filter((_, i) => mask & (1 << i)));
  subsets.sort((a, b) => a.length - b.length || b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0));
  for (const chosen of subsets) {
    const plan = planGrowth(items.map((i) => ({ ...i, free: i.state !== 'reuse' && chosen.includes(i.messages) })), freeBytes);
    if (plan.fits) return chosen;
  }
  return null;
}
