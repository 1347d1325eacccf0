import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { parseSlo } from './slo.ts';

const OPS = ['open-channel', 'scroll-back', 'send'];

describe('--slo', () => {
  it.each([
    ['p99<50ms', [{ percentile: 99, operation: null, limitUs: 50_000, inclusive: false }]],
    ['p99.9(send)<200ms', [{ percentile: 99.9, operation: 'send', limitUs: 200_000, inclusive: false }]],
    ['p50<=800us', [{ percentile: 50, operation: null, limitUs: 800, inclusive: true }]],
    ['p99(*)<1.5s', [{ percentile: 99, operation: '*', limitUs: 1_500_000, inclusive: false }]],
    [' p99 < 50ms , p99.9 ( send ) < 200 ms ', [{ percentile: 99, operation: null, limitUs: 50_000 }, { percentile: 99.9, operation: 'send', limitUs: 200_000 }]],
    ['p90(open-channel)<2ms,p99<5µs', [{ percentile: 90, operation: 'open-channel', limitUs: 2000 }, { percentile: 99, operation: null, limitUs: 5 }]],
  ])('%s', (raw, want) => {
    const terms = parseSlo('slo', raw, OPS);
    expect(terms).toHaveLength(want.length);
    want.forEach((w, i) => expect(terms[i]).toMatchObject(w));
    expect(terms.every((t) => !/\s/.test(t.text))).toBe(true);
  });

  it.each([
    ['', /invalid value "" for --slo: expected objectives such as p99<50ms/],
    ['p99<50', /invalid value "p99<50" for --slo: expected objectives/],
    ['p99>50ms', /invalid value "p99>50ms" for --slo/],
    ['99<50ms', /invalid value "99<50ms" for --slo/],
    ['p100<50ms', /invalid value "p100<50ms" for --slo: expected a percentile above p0 and below p100/],
    ['p0<50ms', /expected a percentile above p0/],
    ['p99(sned)<50ms', /unknown operation "sned" in --slo p99\(sned\)<50ms: expected one of open-channel, scroll-back, send, or \* for each operation/],
    ['p99()<50ms', /expected an operation name in the parentheses/],
    ['p99<0ms', /expected a latency of at least 1us/],
    ['p99<50ms,', /invalid value "p99<50ms," for --slo/],
    ['p99<50ms,p99<60ms', /--slo gives p99 twice \(p99<50ms and p99<60ms\)/],
    ['p99<5m', /invalid value "p99<5m" for --slo/],
  ])('refuses %j', (raw, message) => {
    let err: unknown;
    try {
      parseSlo('slo', raw, OPS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
