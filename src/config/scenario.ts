// `scenario` flags -> one frozen configuration, validated before anything connects.
import { UsageError, invalidFlag } from '../errors.ts';
import type { AnyScenario } from '../scenario/registry.ts';
import type { ScenarioRunConfig } from '../scenario/run.ts';
import { RETENTION_METHODS, type RetentionMethod } from '../schema/retention.ts';
import { pickVariants, type Variant } from '../schema/variants.ts';
import { DEFAULT_SEED } from '../generate/defaults.ts';
import { parseDuration, parseInteger, parseRate } from './parse.ts';

export const MAX_CONNECTIONS = 64;

export interface ScenarioConfig {
  run: ScenarioRunConfig;
  /** --variants was not given: run on every variant that is seeded. */
  onlySeeded: boolean;
  out?: string;
}

export function scenarioConfig(argv: Record<string, unknown>, scenario: AnyScenario, allVariants: Variant[]): ScenarioConfig {
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
  const retentionMethod = argv['retention-method'] === undefined ? 'detach' : String(argv['retention-method']);
  if (!(RETENTION_METHODS as readonly string[]).includes(retentionMethod)) throw invalidFlag('retention-method', argv['retention-method'], RETENTION_METHODS.join(', '));
  if (argv['retention-method'] !== undefined && !scenario.runOptions?.includes('retentionMethod')) {
    throw new UsageError(`--retention-method applies to scenarios that purge old history (retention), not to ${scenario.name}`);
  }
  return Object.freeze({
    run: {
      scenario,
      variants: pickVariants(allVariants, argv.variants ?? 'all'),
      shape,
      connections,
      durationMs,
      warmupMs,
      seed,
      explain: argv.explain === undefined ? durationMs <= 60_000 : Boolean(argv.explain),
      mode,
      opTimeoutMs,
      onlySeeded: argv.variants === undefined,
      options: { retentionMethod: retentionMethod as RetentionMethod },
    },
    onlySeeded: argv.variants === undefined,
    out: argv.out === undefined ? undefined : String(argv.out),
  });
}
