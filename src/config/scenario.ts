// `scenario` flags -> one frozen configuration, validated before anything connects.
import { UsageError, invalidFlag } from '../errors.ts';
import type { AnyScenario, ScenarioRunConfig } from '../scenario/engine.ts';
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
function defaultRounds(durationMs: number, variants: number, hasEvent: boolean): number {
  if (hasEvent || variants < 2) return 1;
  if (durationMs / 3 >= 3000) return 3;
  if (durationMs / 2 >= 2000) return 2;
  return 1;
}

export interface ScenarioConfig {
  run: ScenarioRunConfig;
  /** --variants was not given: run on every variant that is seeded. */
  onlySeeded: boolean;
  out?: string;
}

/**
 * What a run asks for, typed: the flags once parsed, or a command's own values (quickstart).
 * Anything absent takes the scenario's default.
 */
export interface ScenarioChoices {
  /** Absent: every variant, run on the seeded ones. */
  variants?: Variant[];
  durationMs?: number;
  warmupMs?: number;
  concurrency?: number;
  ratePerSec?: number;
  arrivals?: 'poisson' | 'uniform';
  maxLagMs?: number;
  connections?: number;
  opTimeoutMs?: number;
  workers?: number;
  rounds?: number;
  planCache?: ScenarioRunConfig['planCache'];
  seed?: number;
  explain?: boolean;
  mode?: ScenarioRunConfig['mode'];
  /** How retention purges history (scenarios that purge only); detach by default. */
  retentionMethod?: RetentionMethod;
  /** A latency objective checked on each variant at the end (--slo). */
  slo?: SloTerm[];
  out?: string;
}

/** The scenario command's flags, each parsed and checked on its own. */
function scenarioChoices(argv: Record<string, unknown>, scenario: AnyScenario, allVariants: Variant[]): ScenarioChoices {
  const opt = <T>(key: string, parse: (raw: unknown) => T): T | undefined => (argv[key] === undefined ? undefined : parse(argv[key]));
  const durationMs = opt('duration', (raw) => parseDuration('duration', raw));
  if (durationMs !== undefined && durationMs < 1000) throw invalidFlag('duration', argv.duration, 'at least 1s');
  if (argv.rate !== undefined && argv.concurrency !== undefined) throw new UsageError('--rate and --concurrency cannot be used together: --rate runs an open loop, --concurrency a closed one');
  const mode = opt('mode', String);
  if (mode !== undefined && mode !== 'load' && mode !== 'micro') throw invalidFlag('mode', argv.mode, 'load or micro');
  const arrivals = opt('arrivals', String);
  if (arrivals !== undefined && arrivals !== 'poisson' && arrivals !== 'uniform') throw invalidFlag('arrivals', argv.arrivals, 'poisson or uniform');
  if (argv.arrivals !== undefined && argv.rate === undefined) throw new UsageError('--arrivals applies to the open loop: give --rate too');
  if (argv['max-lag'] !== undefined && argv.rate === undefined) throw new UsageError('--max-lag applies to the open loop: give --rate too');
  const opTimeoutMs = opt('op-timeout', (raw) => parseDuration('op-timeout', raw));
  if (opTimeoutMs !== undefined && opTimeoutMs < 1) throw invalidFlag('op-timeout', argv['op-timeout'], 'at least 1ms (statement_timeout counts whole milliseconds)');
  if (argv.out !== undefined && String(argv.out).trim() === '') throw invalidFlag('out', argv.out, 'a folder path');
  const retentionMethod = opt('retention-method', String);
  if (retentionMethod !== undefined && !(RETENTION_METHODS as readonly string[]).includes(retentionMethod)) throw invalidFlag('retention-method', argv['retention-method'], RETENTION_METHODS.join(', '));
  const planCache = opt('plan-cache', String);
  if (planCache !== undefined && !(PLAN_CACHE_MODES as readonly string[]).includes(planCache)) throw invalidFlag('plan-cache', argv['plan-cache'], 'auto, custom or generic');
  return {
    variants: argv.variants === undefined ? undefined : pickVariants(allVariants, argv.variants),
    durationMs,
    warmupMs: opt('warmup', (raw) => parseDuration('warmup', raw, { allowZero: true })),
    concurrency: opt('concurrency', (raw) => parseInteger('concurrency', raw, 1, 10_000)),
    ratePerSec: opt('rate', (raw) => parseRate('rate', raw)),
    arrivals: arrivals as ScenarioChoices['arrivals'],
    maxLagMs: opt('max-lag', (raw) => parseDuration('max-lag', raw)),
    connections: opt('connections', (raw) => parseInteger('connections', raw, 1, 1000)),
    opTimeoutMs,
    workers: opt('workers', (raw) => parseInteger('workers', raw, 1, 64)),
    rounds: opt('rounds', (raw) => parseInteger('rounds', raw, 1, 100)),
    planCache: planCache as ScenarioChoices['planCache'],
    seed: opt('seed', (raw) => parseInteger('seed', raw, 0, Number.MAX_SAFE_INTEGER)),
    explain: opt('explain', Boolean),
    mode: mode as ScenarioChoices['mode'],
    retentionMethod: retentionMethod as RetentionMethod | undefined,
    slo: opt('slo', (raw) => parseSlo('slo', raw, scenario.operations.map((o) => o.name))),
    out: opt('out', String),
  };
}

/** A scenario's run from typed choices: the scenario's defaults for the rest, and the checks that span several values. */
export function scenarioRunConfig(c: ScenarioChoices, scenario: AnyScenario, scenarioFile: string, allVariants: Variant[]): ScenarioConfig {
  const d = scenario.defaults;
  const durationMs = c.durationMs ?? d.durationMs;
  const warmupMs = c.warmupMs ?? d.warmupMs;
  const mode = c.mode ?? 'load';
  const open = c.ratePerSec !== undefined || (c.concurrency === undefined && d.executor === 'open');
  const concurrency = c.concurrency ?? d.concurrency;
  const connections = c.connections ?? Math.min(MAX_CONNECTIONS, concurrency);
  const shape: ScenarioRunConfig['shape'] = open
    ? { kind: 'open', ratePerSec: c.ratePerSec ?? d.ratePerSec ?? 100, arrivals: c.arrivals ?? 'poisson', maxLagMs: c.maxLagMs }
    : { kind: 'closed', concurrency };
  if (c.retentionMethod !== undefined && !scenario.runOptions?.includes('retentionMethod')) {
    throw new UsageError(`--retention-method applies to scenarios that purge old history (retention), not to ${scenario.name}`);
  }
  const variants = c.variants ?? allVariants;
  const rounds = c.rounds ?? defaultRounds(durationMs, variants.length, Boolean(scenario.event));
  if (rounds > 1 && scenario.event) throw new UsageError(`--rounds ${rounds}: ${scenario.name}'s ${scenario.event.operation} happens once per variant, so it runs in one round: leave --rounds out`);
  if (durationMs / rounds < 1000) throw invalidFlag('rounds', rounds, `at most ${Math.max(1, Math.floor(durationMs / 1000))} for --duration ${durationMs / 1000}s (each round measures at least 1s)`);
  if (mode === 'micro' && c.rounds !== undefined && rounds > 1) throw new UsageError('--rounds applies to load mode: micro mode measures each query once');
  const vus = open ? connections : concurrency;
  return Object.freeze({
    run: {
      scenario,
      scenarioFile,
      variants,
      shape,
      connections,
      durationMs,
      warmupMs,
      seed: c.seed ?? DEFAULT_SEED,
      explain: c.explain ?? durationMs <= 60_000,
      mode,
      opTimeoutMs: c.opTimeoutMs,
      onlySeeded: c.variants === undefined,
      // A worker needs a user and a connection of its own.
      workers: Math.min(c.workers ?? defaultWorkers(), vus, connections),
      rounds: mode === 'micro' ? 1 : rounds,
      planCache: c.planCache ?? 'auto',
      options: { retentionMethod: c.retentionMethod ?? 'detach' },
      slo: c.slo,
    },
    onlySeeded: c.variants === undefined,
    out: c.out,
  });
}

/** The scenario command's flags -> its run: parsed one by one, then completed and checked together. */
export function scenarioConfig(argv: Record<string, unknown>, scenario: AnyScenario, scenarioFile: string, allVariants: Variant[]): ScenarioConfig {
  return scenarioRunConfig(scenarioChoices(argv, scenario, allVariants), scenario, scenarioFile, allVariants);
}
