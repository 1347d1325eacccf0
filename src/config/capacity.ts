// `capacity` flags -> one frozen configuration, validated before anything connects.
import { UsageError, invalidFlag } from '../errors.ts';
import type { CapacityConfig } from '../capacity/run.ts';
import type { AnyScenario } from '../scenario/registry.ts';
import { pickVariants, type Variant } from '../schema/variants.ts';
import { DEFAULT_SEED } from '../generate/defaults.ts';
import { parseDuration, parseInteger, parseRate } from './parse.ts';
import { defaultWorkers, MAX_CONNECTIONS, PLAN_CACHE_MODES } from './scenario.ts';
import { parseSlo } from './slo.ts';

export const CAPACITY_DEFAULTS = {
  stepMs: 30_000,
  maxErrorRate: 0.001,
  maxDropRate: 0.001,
  startRatePerSec: 100,
  maxRatePerSec: 100_000,
  minRatePerSec: 1,
  resolution: 0.05,
  maxSteps: 20,
  remeasures: 1,
} as const;

/** A share allowed, 0 included: `0`, `0.1%`, `0.001`. */
export function parseBudget(flag: string, raw: unknown): number {
  const text = String(raw).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(n >= 0 && n < 1)) throw invalidFlag(flag, raw, 'a share such as 0.1% or 0.001 (0 allows none), below 100%');
  return n;
}

export interface CapacityFlagsResult {
  capacity: CapacityConfig;
  out?: string;
}

export function capacityConfig(argv: Record<string, unknown>, scenario: AnyScenario, scenarioFile: string, allVariants: Variant[]): CapacityFlagsResult {
  if (argv.slo === undefined) throw new UsageError('missing --slo: the objective each rate must meet, such as --slo p99<50ms');
  const ops = scenario.operations.filter((o) => o.name !== scenario.event?.operation).map((o) => o.name);
  const slo = parseSlo('slo', argv.slo, ops);
  if (scenario.event) {
    throw new UsageError(`${scenario.name} runs a one-off event (${scenario.event.operation}) in each measurement, so its load is not steady and a capacity search would repeat the event at every step: choose a steady scenario such as chat-mix or history-scroll`);
  }
  const stepMs = argv.step === undefined ? CAPACITY_DEFAULTS.stepMs : parseDuration('step', argv.step);
  if (stepMs < 1000) throw invalidFlag('step', argv.step, 'at least 1s (each step measures a stable percentile)');
  const warmupMs = argv.warmup === undefined ? Math.min(scenario.defaults.warmupMs, stepMs) : parseDuration('warmup', argv.warmup, { allowZero: true });
  const startRatePerSec = argv['start-rate'] === undefined ? scenario.defaults.ratePerSec ?? CAPACITY_DEFAULTS.startRatePerSec : parseRate('start-rate', argv['start-rate']);
  const maxRatePerSec = argv['max-rate'] === undefined ? CAPACITY_DEFAULTS.maxRatePerSec : parseRate('max-rate', argv['max-rate']);
  if (maxRatePerSec < startRatePerSec) throw new UsageError(`--max-rate ${maxRatePerSec} is below the start rate ${startRatePerSec}: raise --max-rate or lower --start-rate`);
  const resolution = argv.resolution === undefined ? CAPACITY_DEFAULTS.resolution : parseBudget('resolution', argv.resolution);
  if (resolution < 0.005 || resolution > 0.5) throw invalidFlag('resolution', argv.resolution, 'a share from 0.5% to 50% (how close the last good and first bad rates must come)');
  const maxSteps = argv['max-steps'] === undefined ? CAPACITY_DEFAULTS.maxSteps : parseInteger('max-steps', argv['max-steps'], 2, 200);
  const arrivals = argv.arrivals === undefined ? 'poisson' : String(argv.arrivals);
  if (arrivals !== 'poisson' && arrivals !== 'uniform') throw invalidFlag('arrivals', argv.arrivals, 'poisson or uniform');
  const connections = argv.connections === undefined ? Math.min(MAX_CONNECTIONS, scenario.defaults.concurrency) : parseInteger('connections', argv.connections, 1, 1000);
  const opTimeoutMs = argv['op-timeout'] === undefined ? undefined : parseDuration('op-timeout', argv['op-timeout']);
  const maxLagMs = argv['max-lag'] === undefined ? undefined : parseDuration('max-lag', argv['max-lag']);
  const seed = argv.seed === undefined ? DEFAULT_SEED : parseInteger('seed', argv.seed, 0, Number.MAX_SAFE_INTEGER);
  if (argv.out !== undefined && String(argv.out).trim() === '') throw invalidFlag('out', argv.out, 'a folder path');
  const planCache = argv['plan-cache'] === undefined ? 'auto' : String(argv['plan-cache']);
  if (!(PLAN_CACHE_MODES as readonly string[]).includes(planCache)) throw invalidFlag('plan-cache', argv['plan-cache'], 'auto, custom or generic');
  const workers = argv.workers === undefined ? defaultWorkers() : parseInteger('workers', argv.workers, 1, 64);
  const capacity: CapacityConfig = {
    scenario,
    scenarioFile,
    variants: pickVariants(allVariants, argv.variants ?? 'all'),
    onlySeeded: argv.variants === undefined,
    slo,
    budgets: {
      maxErrorRate: argv['max-error-rate'] === undefined ? CAPACITY_DEFAULTS.maxErrorRate : parseBudget('max-error-rate', argv['max-error-rate']),
      maxDropRate: argv['max-drop-rate'] === undefined ? CAPACITY_DEFAULTS.maxDropRate : parseBudget('max-drop-rate', argv['max-drop-rate']),
    },
    search: { startRatePerSec, maxRatePerSec, minRatePerSec: Math.min(CAPACITY_DEFAULTS.minRatePerSec, startRatePerSec), resolution, maxSteps, remeasures: CAPACITY_DEFAULTS.remeasures },
    stepMs,
    warmupMs,
    connections,
    arrivals,
    maxLagMs,
    opTimeoutMs,
    seed,
    // A load thread needs a connection of its own.
    workers: Math.min(workers, connections),
    planCache: planCache as CapacityConfig['planCache'],
  };
  return Object.freeze({ capacity: Object.freeze(capacity), out: argv.out === undefined ? undefined : String(argv.out) });
}
