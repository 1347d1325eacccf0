// The capacity search as a pure state machine: rates double from a start until a step fails (or
// halve until one passes), then bisect between the last good and the first bad rate until they are
// within the resolution. A step whose verdict is uncertain (a percentile's band straddles the limit)
// is measured once more, longer, before it counts. What a step measures is not its business.

export interface SearchOptions {
  startRatePerSec: number;
  /** The search never offers more than this; a design that carries it is "at least" this. */
  maxRatePerSec: number;
  /** Halving stops below this: the design misses the objective even at light load. */
  minRatePerSec: number;
  /** Bisection stops when firstBad / lastGood - 1 is at most this (0.05 = 5%). */
  resolution: number;
  /** Measurements in all, re-measurements included. */
  maxSteps: number;
  /** How many times an uncertain step is measured again (longer) before its point estimate decides. */
  remeasures: number;
}

export type SearchPhase = 'ramp' | 'descend' | 'bisect';
export type SearchEnd = 'resolved' | 'max-rate' | 'min-rate' | 'max-steps' | 'interrupted';

export interface StepVerdict {
  pass: boolean;
  /** False when more samples could turn the verdict (a band straddles a limit). */
  certain: boolean;
}

export interface NextStep {
  ratePerSec: number;
  phase: SearchPhase;
  /** 0 for a first measurement, 1 for the first re-measurement of the same rate, ... */
  attempt: number;
}

export interface SearchState {
  lastGood: number | null;
  firstBad: number | null;
  steps: number;
  next: NextStep | null;
  end: SearchEnd | null;
}

const clean = (x: number) => Number(x.toPrecision(12));

/** Rates with three significant digits (2,930 not 2,929.6875): what people read and type. */
export function roundRate(x: number): number {
  if (x <= 0) return 0;
  const p = 10 ** (Math.floor(Math.log10(x)) - 2);
  return clean(Math.round(x / p) * p);
}

export function startSearch(o: SearchOptions): SearchState {
  return { lastGood: null, firstBad: null, steps: 0, next: { ratePerSec: clean(o.startRatePerSec), phase: 'ramp', attempt: 0 }, end: null };
}

/** The state after measuring `s.next` with this verdict. */
export function advance(s: SearchState, o: SearchOptions, v: StepVerdict): SearchState {
  const step = s.next;
  if (!step || s.end) return s;
  const steps = s.steps + 1;
  const done = (end: SearchEnd, lastGood = s.lastGood, firstBad = s.firstBad): SearchState => ({ lastGood, firstBad, steps, next: null, end });
  const go = (next: NextStep, lastGood = s.lastGood, firstBad = s.firstBad): SearchState =>
    steps >= o.maxSteps ? done('max-steps', lastGood, firstBad) : { lastGood, firstBad, steps, next, end: null };
  const rate = step.ratePerSec;
  if (!v.certain && step.attempt < o.remeasures) return go({ ...step, attempt: step.attempt + 1 });
  const lastGood = v.pass ? rate : s.lastGood;
  const firstBad = v.pass ? s.firstBad : rate;
  if (step.phase === 'ramp' && v.pass) {
    if (rate >= o.maxRatePerSec) return done('max-rate', lastGood, firstBad);
    return go({ ratePerSec: clean(Math.min(o.maxRatePerSec, rate * 2)), phase: 'ramp', attempt: 0 }, lastGood, firstBad);
  }
  if (lastGood === null) {
    const lower = roundRate(rate / 2);
    if (lower < o.minRatePerSec) return done('min-rate', lastGood, firstBad);
    return go({ ratePerSec: lower, phase: 'descend', attempt: 0 }, lastGood, firstBad);
  }
  if (firstBad === null) return done('max-rate', lastGood, firstBad); // a descend step never passes with no bad one: unreachable guard
  if (firstBad / lastGood - 1 <= o.resolution) return done('resolved', lastGood, firstBad);
  const mid = roundRate((lastGood + firstBad) / 2);
  if (mid <= lastGood || mid >= firstBad) return done('resolved', lastGood, firstBad);
  return go({ ratePerSec: mid, phase: 'bisect', attempt: 0 }, lastGood, firstBad);
}

/** A rough count of the measurements still to come (for the ETA): a doubling or two, then bisection. */
export function remainingSteps(s: SearchState, o: SearchOptions): number {
  if (!s.next || s.end) return 0;
  const bisections = (lo: number, hi: number) => Math.max(1, Math.ceil(Math.log2((hi - lo) / Math.max(1e-9, lo * o.resolution))));
  const estimate =
    s.lastGood !== null && s.firstBad !== null ? bisections(s.lastGood, s.firstBad)
    : s.lastGood !== null || s.firstBad !== null ? 1 + bisections(1, 2)
    : 2 + bisections(1, 2);
  return Math.max(1, Math.min(o.maxSteps - s.steps, estimate));
}

export interface SearchRecord<R> {
  ratePerSec: number;
  phase: SearchPhase;
  attempt: number;
  verdict: StepVerdict;
  /** decided: it moved the search; superseded: a longer measurement of the same rate decided instead; interrupted: cut short, not judged. */
  status: 'decided' | 'superseded' | 'interrupted';
  result: R;
}

export interface SearchOutcome<R> {
  lastGood: number | null;
  firstBad: number | null;
  end: SearchEnd;
  steps: Array<SearchRecord<R>>;
}

/**
 * Drives the search with `measure` (one step at a rate; `attempt` > 0 asks for a longer one) and
 * `judge`; stops early, ending 'interrupted', when `stopped()` says so or a step was interrupted.
 */
export async function runSearch<R>(
  o: SearchOptions,
  measure: (next: NextStep, state: SearchState) => Promise<R>,
  judge: (result: R) => StepVerdict & { interrupted?: boolean },
  stopped: () => boolean = () => false,
): Promise<SearchOutcome<R>> {
  let s = startSearch(o);
  const steps: Array<SearchRecord<R>> = [];
  while (s.next && !s.end) {
    if (stopped()) return { lastGood: s.lastGood, firstBad: s.firstBad, end: 'interrupted', steps };
    const next = s.next;
    const result = await measure(next, s);
    const verdict = judge(result);
    if (verdict.interrupted || stopped()) {
      steps.push({ ...next, verdict: { pass: verdict.pass, certain: verdict.certain }, status: 'interrupted', result });
      return { lastGood: s.lastGood, firstBad: s.firstBad, end: 'interrupted', steps };
    }
    const prev = steps.findLast((x) => x.ratePerSec === next.ratePerSec && x.attempt === next.attempt - 1);
    if (prev) prev.status = 'superseded';
    steps.push({ ...next, verdict: { pass: verdict.pass, certain: verdict.certain }, status: 'decided', result });
    s = advance(s, o, verdict);
  }
  return { lastGood: s.lastGood, firstBad: s.firstBad, end: s.end ?? 'resolved', steps };
}
