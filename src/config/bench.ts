// `bench` flags -> one frozen BenchConfig, validated before anything connects.
import os from 'node:os';
import type { BenchConfig, BenchWhich } from '../bench/run.ts';
import { findVariant, type Variant } from '../schema/variants.ts';
import { parseCount, parseDuration, parseInteger, parseRate } from './parse.ts';
import { defaultWorkers } from './scenario.ts';

export const BENCH_WHICH = ['generator', 'ingest', 'replay', 'fidelity', 'all'] as const satisfies readonly BenchWhich[];

/** Defaults depend on which comparison runs: fidelity wants more data, shorter phases and a lower rate. */
export function benchConfig(argv: Record<string, unknown>, variants: Variant[]): BenchConfig {
  const which = String(argv.which ?? 'all') as BenchWhich;
  const fidelity = which === 'fidelity';
  return Object.freeze({
    which,
    messages: argv.messages === undefined ? (fidelity ? 2_000_000 : 1_000_000) : parseCount('messages', argv.messages),
    jobs: argv.jobs === undefined ? os.availableParallelism() : parseInteger('jobs', argv.jobs, 1, 64),
    concurrency: argv.concurrency === undefined ? 4 : parseInteger('concurrency', argv.concurrency, 1, 256),
    durationMs: argv.duration === undefined ? (fidelity ? 5000 : 10_000) : parseDuration('duration', argv.duration),
    ratePerSec: argv.rate === undefined ? (fidelity ? 400 : 500) : parseRate('rate', argv.rate),
    repeats: argv.repeats === undefined ? 3 : parseInteger('repeats', argv.repeats, 1, 20),
    workers: argv.workers === undefined ? defaultWorkers() : parseInteger('workers', argv.workers, 1, 64),
    variant: findVariant(variants, String(argv.variant ?? 'btree-unpartitioned')),
    loadOnly: Boolean(argv['load-only']),
    allVariants: variants,
  });
}
