// `scenario` flags -> one frozen configuration, validated before anything connects.
import { UsageError, invalidFlag } from '../errors.ts';
import type { AnyScenario } from '../scenario/registry.ts';
import type { ScenarioRunConfig } from '../scenario/run.ts';
import { RETENTION_METHODS, type RetentionMethod } from '../schema/retention.ts';
import { pickVariants, type Variant } from '../schema/variants.ts';
import { DEFAULT_SEED } from '../generate/defaults.ts';
import os from 'node:os';
import { parseDuration, parseInteger, parseRate } from './parse.ts';
import { parseSlo } from './slo.ts';
import type { SloTerm } from '../results/types.ts';

export const MAX_CONNECTIONS = 64;
export const PLAN_CACHE_MODES = ['auto', 'custom', 'generic'] as const;

/**
 * Load worker threads by default: a quarter of the cores, at least one. The server usually runs on
 * the same machine (the embedded one always does) and needs the rest; a harness that takes the
 * server's cores measures itself.
 */
export function defaultWorkers(cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 4));
}

/**
 * Rounds by default: the designs interleaved three times when each round still gets 3 s of
 * measurement (two when 2 s), so drift of the machine shows as spread rather than as a difference;
 * one for a single design, or a scenario whose event (retention's purge) can only happen once.
 */
export function defaultRounds(durationMs: number, variants: number, hasEvent: boolean): number {
  if (hasEvent || variants < 2) return 1;
  if (durationMs / 3 >= 3000) return 3;
  if (durationMs / 2 >= 2000) return 2;
  return 1;
}

export interface ScenarioConfig {
  run: ScenarioRunConfig;
  /** --slo: checked per variant at the end; a miss exits 3. */
  slo?: SloTerm[];
  /** --variants was not given: run on every variant that is seeded. */
  onlySeeded: boolean;
  out?: string;
}

export function scenarioConfig(argv: Record<string, unknown>, scenario: AnyScenario, scenarioFile: string, allVariants: Variant[]): ScenarioConfig {
  const d = scenario.defaults;
  const durationMs = argv.duration === undefined ? d.durationMs : parseDuration('duration', argv.duration);
  const warmupMs = argv.warmup === undefined ? d.warmupMs : parseDuration('warmup', argv.warmup, { allowZero: true });
  if (durationMs < 1000) throw invalidFlag('duration', argv.duration, 'at least 1s');
  if (argv.rate !== undefined && argv.concurrency !== undefined) throw new UsageError('--rate and --concurrency cannot be used together: --rate runs an open loop, --concurrency a closed one');
  const mode = (argv.mode === undefined ? 'load' : String(argv.mode)) as 'load' | 'micro';
  if (mode !== 'load' && mode !== 'micro') throw invalidFlag('mode', argv.mode, 'load or micro');
  const arrivals = argv.arrivals === undefined ? 'poisson' : String(argv.arrivals);
  if (arrivals !== 'poisson' && arrivals !== 'uniform') throw invalidFlag('arrivals', argv.arrivals, 'poisson or uniform');
  if (argv.arrivals !== undefined && argv.rate === undefined) throw new UsageError('--arrivals applies to the open loop: give --rate too');
  if (argv['max-lag'] !== undefined && argv.rate === undefined) throw new UsageError('--max-lag applies to the open loop: give --rate too');
  const open = argv.rate !== undefined || (argv.concurrency === undefined && d.executor === 'open');
  const concurrency = argv.concurrency === undefined ? d.concurrency : parseInteger('concurrency', argv.concurrency, 1, 10_000);
  const connections = argv.connections === undefined ? Math.min(MAX_CONNECTIONS, concurrency) : parseInteger('connections', argv.connections, 1, 1000);
  const shape: ScenarioRunConfig['shape'] = open
    ? {
        kind: 'open',
        ratePerSec: argv.rate === undefined ? d.ratePerSec ?? 100 : parseRate('rate', argv.rate),
        arrivals,
        maxLagMs: argv['max-lag'] === undefined ? undefined : parseDuration('max-lag', argv['max-lag']),
      }
    : { kind: 'closed', concurrency };
  const opTimeoutMs = argv['op-timeout'] === undefined ? undefined : parseDuration('op-timeout', argv['op-timeout']);
  if (opTimeoutMs !== undefined && opTimeoutMs < 1) throw invalidFlag('op-timeout', argv['op-timeout'], 'at least 1ms (statement_timeout counts whole milliseconds)');
  const seed = argv.seed === undefined ? DEFAULT_SEED : parseInteger('seed', argv.seed, 0, Number.MAX_SAFE_INTEGER);
  if (argv.out !== undefined && String(argv.out).trim() === '') throw invalidFlag('out', argv.out, 'a folder path');
  const slo = argv.slo === undefined ? undefined : parseSlo('slo', argv.slo, scenario.operations.map((o) => o.name));
  const retentionMethod = argv['retention-method'] === undefined ? 'detach' : String(argv['retention-method']);
  if (!(RETENTION_METHODS as readonly string[]).includes(retentionMethod)) throw invalidFlag('retention-method', argv['retention-method'], RETENTION_METHODS.join(', '));
  if (argv['retention-method'] !== undefined && !scenario.runOptions?.includes('retentionMethod')) {
    throw new UsageError(`--retention-method applies to scenarios that purge old history (retention), not to ${scenario.name}`);
  }
  const planCache = argv['plan-cache'] === undefined ? 'auto' : String(argv['plan-cache']);
  if (!(PLAN_CACHE_MODES as readonly string[]).includes(planCache)) throw invalidFlag('plan-cache', argv['plan-cache'], 'auto, custom or generic');
  const workers = argv.workers === undefined ? defaultWorkers() : parseInteger('workers', argv.workers, 1, 64);
  const variants = pickVariants(allVariants, argv.variants ?? 'all');
  const rounds = argv.rounds === undefined ? defaultRounds(durationMs, variants.length, Boolean(scenario.event)) : parseInteger('rounds', argv.rounds, 1, 100);
  if (rounds > 1 && scenario.event) throw new UsageError(`--rounds ${rounds}: ${scenario.name}'s ${scenario.event.operation} happens once per variant, so it runs in one round: leave --rounds out`);
  if (durationMs / rounds < 1000) throw invalidFlag('rounds', argv.rounds, `at most ${Math.max(1, Math.floor(durationMs / 1000))} for --duration ${argv.duration ?? `${durationMs / 1000}s`} (each round measures at least 1s)`);
  if (mode === 'micro' && argv.rounds !== undefined && rounds > 1) throw new UsageError('--rounds applies to load mode: micro mode measures each query once');
  const vus = open ? connections : concurrency;
  return Object.freeze({
    slo,
    run: {
      scenario,
      scenarioFile,
      variants,
      shape,
      connections,
      durationMs,
      warmupMs,
      seed,
      explain: argv.explain === undefined ? durationMs <= 60_000 : Boolean(argv.explain),
      mode,
      opTimeoutMs,
      onlySeeded: argv.variants === undefined,
      // A worker needs a user and a connection of its own.
      workers: Math.min(workers, vus, connections),
      rounds: mode === 'micro' ? 1 : rounds,
      planCache: planCache as ScenarioRunConfig['planCache'],
      options: { retentionMethod: retentionMethod as RetentionMethod },
    },
    onlySeeded: argv.variants === undefined,
    out: argv.out === undefined ? undefined : String(argv.out),
  });
}
