// `seed` flags -> one frozen SeedConfig, every value validated before anything connects.
import os from 'node:os';
import type { CopyFormat } from '../copy/writer.ts';
import { UsageError, invalidFlag } from '../errors.ts';
import { DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_START_MS } from '../generate/defaults.ts';
import { maxMessages, planParams, TIME_LIMITS } from '../generate/plan.ts';
import type { ModelParams } from '../generate/model.ts';
import { pickVariants, type Variant } from '../schema/variants.ts';
import { VERIFY_MODES, type VerifyMode } from '../seed/verify.ts';
import { parseCount, parseDate, parseInteger } from './parse.ts';

export const DEFAULT_MESSAGES = 1_000_000;
/** COPY format the seeder uses unless told otherwise (binary measured faster: docs/PERFORMANCE.md). */
export const DEFAULT_COPY_FORMAT: CopyFormat = 'binary';

export interface SeedConfig {
  params: ModelParams;
  variants: Variant[];
  /** False when --variants was not given: the seeder then picks the default set that fits the disk. */
  variantsGiven: boolean;
  verify: VerifyMode;
  jobs: number;
  resume: boolean;
  force: boolean;
  dryRun: boolean;
  format: CopyFormat;
}

export interface SeedFlags {
  messages?: unknown;
  users?: unknown;
  servers?: unknown;
  days?: unknown;
  start?: unknown;
  variants?: unknown;
  seed?: unknown;
  jobs?: unknown;
  resume?: boolean;
  force?: boolean;
  dryRun?: boolean;
  format?: unknown;
  verify?: unknown;
}

export function seedConfig(flags: SeedFlags, allVariants: Variant[]): SeedConfig {
  const days = flags.days === undefined ? DEFAULT_DAYS : parseInteger('days', flags.days, 1, 3650);
  const startMs = flags.start === undefined ? DEFAULT_START_MS : parseDate('start', flags.start);
  if (startMs < TIME_LIMITS.minStartMs) {
    throw invalidFlag('start', flags.start, `a date from 2020-01-01 on (message ids count milliseconds from then)`);
  }
  if (startMs + days * 86_400_000 > TIME_LIMITS.maxEndMs) {
    throw invalidFlag('start', flags.start, `a range that ends before ${new Date(TIME_LIMITS.maxEndMs).toISOString().slice(0, 10)} (the last instant a 53-bit message id can hold)`);
  }
  const messages = flags.messages === undefined ? DEFAULT_MESSAGES : parseCount('messages', flags.messages, maxMessages(days));
  const users = flags.users === undefined ? undefined : parseCount('users', flags.users, 2 ** 31 - 1);
  if (users !== undefined && users < 2) throw invalidFlag('users', flags.users, 'at least 2 users');
  const servers = flags.servers === undefined ? undefined : parseCount('servers', flags.servers, 2 ** 31 - 1);
  const seed = flags.seed === undefined ? DEFAULT_SEED : parseInteger('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER);
  const params = planParams({ messages, users, servers, days, startMs, seed });
  if (params.servers > params.users) {
    throw invalidFlag('servers', flags.servers ?? params.servers, `at most --users (${params.users}): every server needs an owner among the users`);
  }
  const jobs = flags.jobs === undefined ? os.availableParallelism() : parseInteger('jobs', flags.jobs, 1, 64);
  if (flags.resume && flags.force) throw new UsageError('--resume and --force cannot be used together: --resume continues a seed, --force starts over');
  const format = flags.format === undefined ? DEFAULT_COPY_FORMAT : String(flags.format);
  if (format !== 'text' && format !== 'binary') throw invalidFlag('format', flags.format, 'text or binary');
  const verify = flags.verify === undefined ? 'sample' : String(flags.verify);
  if (!VERIFY_MODES.includes(verify as VerifyMode)) throw invalidFlag('verify', flags.verify, VERIFY_MODES.join(', '));
  return Object.freeze({
    params: Object.freeze(params),
    variants: pickVariants(allVariants, flags.variants ?? 'all'),
    variantsGiven: flags.variants !== undefined,
    verify: verify as VerifyMode,
    jobs,
    resume: Boolean(flags.resume),
    force: Boolean(flags.force),
    dryRun: Boolean(flags.dryRun),
    format,
  });
}
