// The progress line's numbers, computed from the seed's counters and samples: the steps running,
// rows/s, MB/s and WAL/s over the last seconds, and the ETA of the whole seed (the estimate from
// the dry-run model, corrected by how fast this run actually goes). Pure.
import type { Sample } from './sampler.ts';

/** The estimate of one group of variants (seeded together), and of the groups after it. */
export interface SeedEstimate {
  loadMs: number;
  postLoadMs: number;
  /** The groups still to seed after this one (their load and post-load). */
  laterMs?: number;
}

/** Counters of the group of variants being seeded (rows and tasks are the group's). */
export interface ProgressState {
  phase: 'create' | 'load' | 'post-load';
  /** Which group of variants (1-based), of how many: the seed loads and post-loads one group after another. */
  group?: { at: number; of: number };
  /** Steps running, with how many of their tasks. */
  current: Map<string, number>;
  rowsDone: number;
  rowsTotal: number;
  bytesDone: number;
  tasksWeight: number;
  tasksDone: number;
  loadStartMs: number;
  postStartMs: number;
}

export interface ProgressSnapshot {
  phase: ProgressState['phase'];
  group?: ProgressState['group'];
  steps: string[];
  rowsDone: number;
  rowsTotal: number;
  rowsPerSec: number;
  mbPerSec: number;
  walMbPerSec: number | null;
  elapsedMs: number;
  /** Of the whole seed; undefined until there is something to go by. */
  etaMs?: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Rates over the samples given (the last few seconds). */
export function rates(samples: Sample[]): { rowsPerSec: number; mbPerSec: number; walMbPerSec: number | null } {
  if (samples.length < 2) return { rowsPerSec: 0, mbPerSec: 0, walMbPerSec: null };
  const a = samples[0];
  const b = samples[samples.length - 1];
  const s = Math.max(0.001, (b.t - a.t) / 1000);
  const wal = a.walBytes !== null && b.walBytes !== null ? (b.walBytes - a.walBytes) / 1e6 / s : null;
  return { rowsPerSec: (b.rows - a.rows) / s, mbPerSec: (b.bytes - a.bytes) / 1e6 / s, walMbPerSec: wal };
}

/**
 * Remaining time of the whole seed. While loading: the load extrapolated from the rows done, plus
 * the post-load estimate (and the later groups') scaled by how this load compares with its
 * estimate. After: the post-load estimate, blended into an extrapolation from the tasks' weight done
 * as it grows, plus the later groups' estimate.
 */
export function etaMs(p: ProgressState, nowMs: number, est?: SeedEstimate): number | undefined {
  const later = est?.laterMs ?? 0;
  if (p.phase === 'create') return est ? est.loadMs + est.postLoadMs + later : undefined;
  if (p.phase === 'load') {
    const elapsed = nowMs - p.loadStartMs;
    const frac = p.rowsTotal > 0 ? p.rowsDone / p.rowsTotal : 0;
    if (frac < 0.01) return est ? Math.max(0, est.loadMs - elapsed) + est.postLoadMs + later : undefined;
    const loadLeft = (elapsed * (1 - frac)) / frac;
    const scale = est && est.loadMs > 0 ? clamp(elapsed / frac / est.loadMs, 0.5, 2) : 1;
    return loadLeft + (est ? (est.postLoadMs + later) * scale : elapsed / frac);
  }
  const elapsed = nowMs - p.postStartMs;
  const frac = p.tasksWeight > 0 ? clamp(p.tasksDone / p.tasksWeight, 0, 1) : 0;
  const byEstimate = est ? Math.max(0, est.postLoadMs - elapsed) : undefined;
  if (frac < 0.05) return byEstimate === undefined ? undefined : byEstimate + later;
  const byWork = (elapsed * (1 - frac)) / frac;
  return (byEstimate === undefined ? byWork : (1 - frac) * byEstimate + frac * byWork) + later;
}

export function progressOf(p: ProgressState, latest: Sample[], nowMs: number, est?: SeedEstimate): ProgressSnapshot {
  const r = rates(latest);
  return { phase: p.phase, group: p.group, steps: [...p.current.entries()].filter(([, n]) => n > 0).map(([s]) => s), rowsDone: p.rowsDone, rowsTotal: p.rowsTotal, ...r, elapsedMs: nowMs, etaMs: etaMs(p, nowMs, est) };
}
