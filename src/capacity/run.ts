// The capacity of each design under a latency objective: an open-loop search per design, each step
// one measured run of the scenario at one offered rate through the scenario engine's public entry,
// judged on the objective and the budgets; at the first failing step, who set the limit.
import { envelope } from '../results/envelope.ts';
import { connectClient, type Target } from '../db/target.ts';
import { InterruptedError, UsageError } from '../errors.ts';
import { formatRate } from '../metrics/format.ts';
import { describePriority, type Priority } from '../metrics/priority.ts';
import { formatObjective } from '../metrics/slo.ts';
import type { CapacityDesignResult, CapacityResults, CapacityStep, ScenarioResults, SloTerm, VariantScenarioResult } from '../results/types.ts';
import { LoadPool, runScenario, type AnyScenario, type RunEvent, type ScenarioRunConfig } from '../scenario/engine.ts';
import { sameData, seedRecords } from '../schema/bookkeeping.ts';
import type { Variant } from '../schema/variants.ts';
import { attributeLimit, judgeStep, stepFacts, type Budgets } from './judge.ts';
import { remainingSteps, runSearch, type NextStep, type SearchOptions, type SearchOutcome, type SearchState } from './search.ts';

export interface CapacityConfig {
  scenario: AnyScenario;
  /** Where the scenario is defined: the engine's load threads import it themselves. */
  scenarioFile: string;
  variants: Variant[];
  /** Search the seeded ones among `variants` (no --variants given). */
  onlySeeded: boolean;
  slo: SloTerm[];
  budgets: Budgets;
  search: SearchOptions;
  stepMs: number;
  warmupMs: number;
  connections: number;
  arrivals: 'poisson' | 'uniform';
  maxLagMs?: number;
  opTimeoutMs?: number;
  seed: number;
  /** Load worker threads of each step. */
  workers: number;
  planCache: ScenarioRunConfig['planCache'];
}

export type CapacityEvent =
  | { type: 'log'; message: string }
  | { type: 'step'; variant: string; design: number; designs: number; step: number; next: NextStep; durationMs: number; warmupMs: number; etaMs: number }
  | { type: 'second'; variant: string; next: NextStep; phase: 'warmup' | 'measure'; elapsedMs: number; durationMs: number; ops: number; errors: number; p99Us: number; etaMs: number }
  /** A step judged; `again` when it was not sure and will be measured again, for longer. */
  | { type: 'step-done'; variant: string; step: CapacityStep; again: boolean }
  | { type: 'design-done'; variant: string; result: CapacityDesignResult };

/** What a step costs beyond its warm-up and measured time (connecting, evidence), until measured. */
const STEP_OVERHEAD_GUESS_MS = 3000;

interface Measured {
  step: CapacityStep;
  scenario: ScenarioResults;
}

/** Runs the search on every design in turn; returns complete results (partial after Ctrl-C). */
export async function runCapacity(target: Target, cfg: CapacityConfig, signal: AbortSignal, onEvent: (e: CapacityEvent) => void, command: string): Promise<CapacityResults> {
  const startedAt = new Date();
  const variants = await seededVariants(target, cfg, onEvent);
  const designs: CapacityDesignResult[] = [];
  let first: ScenarioResults | undefined;
  const priorities: Priority[] = []; // each step's session nice over its run
  let stepsDone = 0;
  let overheadMs = STEP_OVERHEAD_GUESS_MS;
  const stepMsOf = (next: NextStep) => cfg.stepMs * 2 ** next.attempt;
  const eta = (state: SearchState, designIndex: number, next: NextStep) => {
    // This design's remaining steps, then the others at the average so far (or this one's estimate).
    const mine = remainingSteps(state, cfg.search);
    const perDesign = designs.length ? designs.reduce((a, d) => a + d.steps.length, 0) / designs.length : state.steps + mine;
    const stepsLeft = mine + (variants.length - designIndex - 1) * perDesign;
    return stepsLeft * (cfg.warmupMs + cfg.stepMs + overheadMs) + (stepMsOf(next) - cfg.stepMs);
  };

  // One set of load threads for every step: the designs hold the same data, the scenario is the same.
  const loads = new LoadPool();
  try {
    for (const [d, v] of variants.entries()) {
      if (signal.aborted) break;
      const outcome: SearchOutcome<Measured> = await runSearch<Measured>(
        cfg.search,
        async (next, state) => {
          const durationMs = stepMsOf(next);
          let etaMs = eta(state, d, next);
          onEvent({ type: 'step', variant: v.name, design: d, designs: variants.length, step: state.steps + 1, next, durationMs, warmupMs: cfg.warmupMs, etaMs });
          const t0 = performance.now();
          const m = await measureStep(target, cfg, v, next, durationMs, signal, command, loads, (e) => {
            if (e.type === 'log') onEvent(e);
            else if (e.type === 'priority') priorities.push(e.priority);
            else if (e.type === 'second') {
              etaMs = Math.max(0, etaMs - 1000);
              onEvent({ type: 'second', variant: v.name, next, phase: e.phase, elapsedMs: e.elapsedMs, durationMs: e.phase === 'warmup' ? cfg.warmupMs : durationMs, ops: e.ops, errors: e.errors, p99Us: e.p99Us, etaMs });
            }
          });
          first ??= m.scenario;
          if (!m.scenario.partial) onEvent({ type: 'step-done', variant: v.name, step: m.step, again: !m.step.certain && next.attempt < cfg.search.remeasures });
          overheadMs = (overheadMs * stepsDone + Math.max(0, performance.now() - t0 - durationMs - cfg.warmupMs)) / (stepsDone + 1);
          stepsDone++;
          return m;
        },
        (m) => ({ pass: m.step.pass, certain: m.step.certain, interrupted: m.scenario.partial }),
        () => signal.aborted,
      );
      const steps = outcome.steps.map((s) => ({ ...s.result.step, status: s.status, phase: s.phase, attempt: s.attempt }));
      const result = designResult(v.name, outcome, steps, cfg);
      result.seed = outcome.steps[0]?.result.step.result.seed;
      designs.push(result);
      onEvent({ type: 'design-done', variant: v.name, result });
    }
  } finally {
    await loads.stop();
  }
  if (!first) throw new InterruptedError('interrupted before the first step was measured: nothing to report');
  const partial = signal.aborted || designs.length < variants.length || designs.some((x) => x.end === 'interrupted');
  return {
    ...envelope({ name: `${first.scenario.name}-capacity`, startedAt, command, environment: { ...first.environment, clientPriority: describePriority(priorities) } }, partial),
    kind: 'capacity',
    scenario: first.scenario,
    config: {
      variants: variants.map((v) => v.name),
      slo: cfg.slo,
      maxErrorRate: cfg.budgets.maxErrorRate,
      maxDropRate: cfg.budgets.maxDropRate,
      stepMs: cfg.stepMs,
      warmupMs: cfg.warmupMs,
      startRatePerSec: cfg.search.startRatePerSec,
      maxRatePerSec: cfg.search.maxRatePerSec,
      minRatePerSec: cfg.search.minRatePerSec,
      resolution: cfg.search.resolution,
      maxSteps: cfg.search.maxSteps,
      remeasures: cfg.search.remeasures,
      connections: cfg.connections,
      arrivals: cfg.arrivals,
      maxLagMs: cfg.maxLagMs,
      opTimeoutMs: cfg.opTimeoutMs,
      seed: cfg.seed,
      workers: cfg.workers,
      planCache: cfg.planCache,
    },
    seed: first.seed,
    variants: designs,
  };
}

/** The designs to search: those named, or (no --variants) the seeded ones; refuses unseeded ones early. */
async function seededVariants(target: Target, cfg: CapacityConfig, onEvent: (e: CapacityEvent) => void): Promise<Variant[]> {
  const c = await connectClient(target, { applicationName: 'chatbench capacity' });
  try {
    const records = await seedRecords(c);
    const seeded = (v: Variant) => records.get(v.name)?.status === 'complete';
    let use = cfg.variants;
    if (cfg.onlySeeded) {
      const skipped = cfg.variants.filter((v) => !seeded(v)).map((v) => v.name);
      use = cfg.variants.filter(seeded);
      if (!use.length) throw new UsageError('no variant is seeded yet: run "npm run seed -- --messages 1M --variants ..." (or choose --variants) first');
      if (skipped.length) onEvent({ type: 'log', message: `not seeded, skipped: ${skipped.join(', ')}` });
    } else {
      const unseeded = cfg.variants.filter((v) => !seeded(v)).map((v) => v.name);
      if (unseeded.length) throw new UsageError(`variant(s) ${unseeded.join(', ')} not seeded yet: run "npm run seed -- --variants ${unseeded.join(',')}" first (a seed that did not finish resumes with the same command)`);
    }
    // Each design is searched in runs of its own: the engine's same-data check needs repeating here.
    const first = records.get(use[0].name)!.plan;
    const differ = use.filter((v) => !sameData(records.get(v.name)!.plan, first)).map((v) => v.name);
    if (differ.length) throw new UsageError(`variants ${use[0].name} and ${differ.join(', ')} hold different data sets: seed them with the same command so their capacities compare`);
    return use;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * One step: the scenario on one design at one offered rate, open loop, in one round, through
 * runScenario (the engine's public entry: the same load path, evidence and floor as a scenario run,
 * on load threads lent by the search's pool), then judged. The engine measures chatbench's own side too: CPU of every thread, GC pauses of
 * the load threads, start lateness with a free connection, and its floor before the step.
 */
async function measureStep(target: Target, cfg: CapacityConfig, v: Variant, next: NextStep, durationMs: number, signal: AbortSignal, command: string, loads: LoadPool, onRun: (e: RunEvent) => void): Promise<Measured> {
  const run: ScenarioRunConfig = {
    scenario: cfg.scenario,
    scenarioFile: cfg.scenarioFile,
    variants: [v],
    shape: { kind: 'open', ratePerSec: next.ratePerSec, arrivals: cfg.arrivals, maxLagMs: cfg.maxLagMs },
    connections: cfg.connections,
    durationMs,
    warmupMs: cfg.warmupMs,
    seed: cfg.seed,
    explain: false,
    mode: 'load',
    opTimeoutMs: cfg.opTimeoutMs,
    workers: cfg.workers,
    rounds: 1,
    planCache: cfg.planCache,
  };
  const scenario = await runScenario(target, run, signal, onRun, { command, loads });
  const result: VariantScenarioResult | undefined = scenario.variants[0];
  const floor = scenario.harness?.floorUs;
  const harness = { workers: scenario.config.workers ?? cfg.workers, floorUs: floor ? { p50: floor.p50, p99: floor.p99 } : null };
  if (!result) {
    // Interrupted before the design's measured phase began: an empty, interrupted step.
    const empty: VariantScenarioResult = { variant: v.name, durationMs: 0, warmupMs: cfg.warmupMs, throughputPerSec: 0, operations: [], timeline: [], server: { hitRatio: null, tempBytes: 0, deadlocks: 0, walBytes: 0, commits: 0, rollbacks: 0, tableBytes: {}, indexBytes: {} } };
    const facts = stepFacts(empty, next.ratePerSec, harness);
    return { scenario: { ...scenario, partial: true }, step: { ...next, status: 'interrupted', durationMs, warmupMs: cfg.warmupMs, pass: false, certain: false, reasons: ['interrupted'], checks: [], facts, result: empty } };
  }
  const facts = stepFacts(result, next.ratePerSec, harness);
  const j = judgeStep(cfg.slo, cfg.budgets, result, facts, cfg.connections);
  return { scenario, step: { ...next, status: 'decided', durationMs, warmupMs: cfg.warmupMs, pass: j.pass, certain: j.certain, reasons: j.reasons, checks: j.checks, facts, result } };
}

function designResult(variant: string, o: SearchOutcome<Measured>, steps: CapacityStep[], cfg: CapacityConfig): CapacityDesignResult {
  const decided = steps.filter((s) => s.status === 'decided');
  const bad = decided.find((s) => !s.pass && s.ratePerSec === o.firstBad) ?? null;
  const objective = formatObjective(cfg.slo);
  const base = { variant, capacityPerSec: o.lastGood, firstBadPerSec: o.firstBad, end: o.end, steps };
  if (!bad) {
    const why =
      o.end === 'interrupted' ? `interrupted${o.lastGood !== null ? ` after meeting ${objective} at ${formatRate(o.lastGood)}/s` : ' before any step was judged'}`
      : o.end === 'max-rate' ? `met ${objective} at every rate up to the highest offered, ${formatRate(o.lastGood ?? 0)}/s: raise --max-rate to find the limit`
      : `stopped after ${steps.length} steps (--max-steps) before any rate failed`;
    return { ...base, limitedBy: null, why };
  }
  const series = [...decided].sort((x, y) => x.ratePerSec - y.ratePerSec).map((x) => x.facts);
  const missedLimits = bad.checks.filter((c) => !c.met).map((c) => c.limitUs);
  const a = attributeLimit(series, bad.facts, cfg.connections, bad.reasons, missedLimits.length ? Math.min(...missedLimits) : null);
  const when = o.lastGood === null ? ` (even at ${formatRate(bad.ratePerSec)}/s, the lowest rate tried)` : '';
  const stopped = o.end === 'max-steps' ? `; the search stopped at --max-steps (${cfg.search.maxSteps}) before the last good and first bad rates came within ${Math.round(cfg.search.resolution * 100)}%` : o.end === 'interrupted' ? '; interrupted before the search converged' : '';
  return { ...base, limitedBy: a.limitedBy, why: `at ${formatRate(bad.ratePerSec)}/s: ${a.why}${when}${stopped}` };
}
