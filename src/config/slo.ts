// `--slo`: latency objectives such as `p99<50ms` or `p99.9(send)<200ms,p50<5ms`, parsed and checked
// against the scenario's operations before anything connects.
import { UsageError, invalidFlag } from '../errors.ts';
import type { SloTerm } from '../results/types.ts';

const EXPECTED = 'objectives such as p99<50ms or p99.9(send)<200ms, comma-separated: a percentile (p50, p99, p99.9 ...), an optional operation in parentheses (or * for each one), < or <=, and a latency with its unit (us, ms or s)';
const TERM_RE = /^p(\d{1,3}(?:\.\d{1,4})?)(?:\(([^()]*)\))?(<=|<)(\d+(?:\.\d+)?)(us|µs|ms|s)$/;
const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000 };

/**
 * Parses an objective; every operation it names must be one of `operations` (the scenario's).
 * Throws the one-line usage error naming --flag and what is wrong.
 */
export function parseSlo(flag: string, raw: unknown, operations: readonly string[]): SloTerm[] {
  const text = String(raw ?? '').trim();
  const parts = text.split(',').map((p) => p.replace(/\s+/g, ''));
  if (!text || parts.some((p) => p === '')) throw invalidFlag(flag, raw, EXPECTED);
  const terms: SloTerm[] = [];
  for (const part of parts) {
    const m = TERM_RE.exec(part);
    if (!m) throw invalidFlag(flag, part, EXPECTED);
    const percentile = Number(m[1]);
    if (!(percentile > 0 && percentile < 100)) throw invalidFlag(flag, part, `a percentile above p0 and below p100 (p100 is the maximum, which no sample count can bound)`);
    const op = m[2] === undefined ? null : m[2].trim();
    if (op === '') throw invalidFlag(flag, part, `an operation name in the parentheses, or * for each operation`);
    if (op !== null && op !== '*' && !operations.includes(op)) {
      throw new UsageError(`unknown operation "${op}" in --${flag} ${part}: expected one of ${operations.join(', ')}, or * for each operation`);
    }
    const limitUs = Number(m[4]) * UNIT_US[m[5]];
    if (!(limitUs >= 1)) throw invalidFlag(flag, part, 'a latency of at least 1us');
    const term: SloTerm = { text: part, percentile, operation: op, limitUs: Math.round(limitUs), inclusive: m[3] === '<=' };
    const same = terms.find((t) => t.percentile === term.percentile && t.operation === term.operation);
    if (same) throw new UsageError(`--${flag} gives p${percentile}${op === null ? '' : `(${op})`} twice (${same.text} and ${part}): give each percentile of an operation once`);
    terms.push(term);
  }
  return terms;
}
