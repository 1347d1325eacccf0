// `growth` flags -> one frozen configuration, validated before anything connects.
import os from 'node:os';
import { UsageError, invalidFlag } from '../errors.ts';
import { DEFAULT_DAYS, DEFAULT_SEED } from '../generate/defaults.ts';
import { maxMessages } from '../generate/plan.ts';
import type { GrowthConfig } from '../growth/run.ts';
import { shortCount } from '../metrics/format.ts';
import type { AnyScenario } from '../scenario/registry.ts';
import type { Variant } from '../schema/variants.ts';
import { parseCount, parseInteger } from './parse.ts';
import { scenarioConfig } from './scenario.ts';

const MAX_MESSAGES = maxMessages(DEFAULT_DAYS);

/** `1M,10M,100M` -> [1e6, 1e7, 1e8]: two or more distinct sizes, in ascending order. */
export function parseSizes(flag: string, raw: unknown): number[] {
  const text = String(raw ?? '').trim();
  const parts = text.split(',').map((s) => s.trim());
  if (!text || parts.some((p) => p === '')) throw invalidFlag(flag, raw, 'two or more sizes, comma-separated, such as 1M,10M,100M');
  const sizes = parts.map((p) => parseCount(flag, p, MAX_MESSAGES));
  const dup = sizes.find((s, i) => sizes.indexOf(s) !== i);
  if (dup !== undefined) throw invalidFlag(flag, raw, `distinct sizes (${shortCount(dup)} is given twice)`);
  if (sizes.length < 2) throw invalidFlag(flag, raw, 'two or more sizes, comma-separated, such as 1M,10M,100M (a growth exponent needs at least two)');
  return [...sizes].sort((a, b) => a - b);
}

export interface GrowthFlags {
  growth: GrowthConfig;
  dryRun: boolean;
  out?: string;
}

export function growthConfig(argv: Record<string, unknown>, scenario: AnyScenario, scenarioFile: string, allVariants: Variant[]): GrowthFlags {
  if (argv.messages === undefined) throw new UsageError('missing --messages: the data sizes to measure, such as --messages 1M,10M,100M');
  const sizes = parseSizes('messages', argv.messages);
  const largest = sizes[sizes.length - 1];
  let projectTo: number | null = null;
  if (argv.project !== undefined) {
    projectTo = parseCount('project', argv.project);
    if (projectTo <= largest) throw invalidFlag('project', argv.project, `a size above the largest measured one (${shortCount(largest)}): a projection extends the fit beyond what was measured`);
  }
  let freeAfter: number[] = [];
  if (argv['free-after'] !== undefined) {
    const raw = String(argv['free-after']).trim();
    freeAfter = raw === 'all' ? [...sizes] : raw.split(',').map((s) => parseCount('free-after', s.trim()));
    const stray = freeAfter.find((s) => !sizes.includes(s));
    if (stray !== undefined) throw invalidFlag('free-after', argv['free-after'], `sizes from --messages (${sizes.map(shortCount).join(', ')}), or all`);
  }
  if (argv.mode !== undefined) throw new UsageError('--mode does not apply to growth: it runs the scenario under load at every size');
  // Each measurement runs one design on one size: rounds would interleave nothing, so one unless asked.
  const sc = scenarioConfig({ ...argv, variants: argv.variants ?? 'all', rounds: argv.rounds ?? 1 }, scenario, scenarioFile, allVariants);
  const jobs = argv.jobs === undefined ? os.availableParallelism() : parseInteger('jobs', argv.jobs, 1, 64);
  const { variants, onlySeeded: _onlySeeded, ...run } = sc.run;
  return Object.freeze({
    growth: Object.freeze({ scenario, variants, sizes, projectTo, freeAfter: [...new Set(freeAfter)].sort((a, b) => a - b), run, dataSeed: DEFAULT_SEED, jobs }),
    dryRun: Boolean(argv['dry-run']),
    out: sc.out,
  });
}
