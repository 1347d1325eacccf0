// bench replay: the history page (src/bench/scenarios/history-page.ts) replayed by chatbench's
// scenario engine and by pgbench (-M prepared), with the same SQL and the same parameter law, on the
// same seeded data, in one run: closed loop at C (queries per second; target chatbench >= 0.9x
// pgbench), then open loop at a fixed rate (latency from the scheduled start, pgbench -R's log),
// each as paired repeats in alternating order.
import os from 'node:os';
import type { Target } from '../db/target.ts';
import { InterruptedError } from '../errors.ts';
import type { Model } from '../generate/model.ts';
import { percentiles } from '../metrics/histogram.ts';
import type { BenchComparison, OperationResult } from '../results/types.ts';
import type { Variant } from '../schema/variants.ts';
import { queries, worldAt } from '../scenario/engine.ts';
import { alternating, chatbenchRun, comparison, pgbench, pgbenchSql } from './common.ts';

export interface ReplayOptions {
  concurrency: number;
  durationMs: number;
  ratePerSec: number;
  workers: number;
  /** Paired repeats of each comparison; the repeat with the median ratio is reported. */
  repeats: number;
  signal: AbortSignal;
}

/** The history page's law as a pgbench script: the hottest channel, a cursor uniform over the data's ids. */
export function historyPageScript(model: Model): { script: string; law: { channel: number; idLo: number; idHi: number } } {
  const world = worldAt(model, model.endMs);
  const law = { channel: world.hottestChannel(), idLo: world.idFloor(world.startMs), idHi: world.idFloor(world.endMs) };
  return { law, script: `\\set c ${law.channel}\n\\set cursor random(${law.idLo}, ${law.idHi - 1})\n${pgbenchSql(queries.PAGE_BEFORE, ['c', 'cursor'])}\n` };
}

/**
 * Closed loop, then open loop, each `repeats` times with the two tools alternating which goes
 * first (pgbench then chatbench, chatbench then pgbench, ...), after an unmeasured pgbench pass
 * that warms the server's cache: on a shared two-core machine the server's speed drifts within
 * a minute, and whichever tool ran first on a cold cache used to lose (pgbench 1,322 queries/s
 * cold against 5,600 warm, measured). Each repeat gives a paired ratio; the repeat with the median
 * ratio is reported (its two values and its ratio), every repeat is in the detail.
 */
export async function benchReplay(target: Target, variant: Variant, model: Model, opts: ReplayOptions, log: (m: string) => void): Promise<{ comparisons: BenchComparison[]; extra: Record<string, unknown> }> {
  const { script, law } = historyPageScript(model);
  const seconds = Math.max(1, Math.round(opts.durationMs / 1000));
  const repeats = Math.max(1, opts.repeats);
  const run = (shape: Parameters<typeof chatbenchRun>[1]['shape']) =>
    chatbenchRun(target, { scenario: 'history-page', variants: [variant], shape, connections: opts.concurrency, durationMs: seconds * 1000, warmupMs: 1000, workers: opts.workers, signal: opts.signal });
  const workersText = `${opts.workers} load thread${opts.workers > 1 ? 's' : ''}`;

  log(`replay: warming the cache, pgbench -c ${opts.concurrency}, 2s (not measured)`);
  await pgbench(target, variant.schema, script, { clients: opts.concurrency, seconds: 2 });
  const closed: Array<{ pgTps: number; pgP50: number; cbQps: number; cbP50: number }> = [];
  for (let k = 0; k < repeats && !opts.signal.aborted; k++) {
    log(`replay: closed loop, ${opts.concurrency} users, ${seconds}s each, repeat ${k + 1} of ${repeats}: ${k % 2 === 0 ? 'pgbench, then chatbench' : 'chatbench, then pgbench'} (${workersText})`);
    const [pg, cb] = await alternating(k, () => pgbench(target, variant.schema, script, { clients: opts.concurrency, seconds }), async () => (await run({ kind: 'closed', concurrency: opts.concurrency })).variants[0]);
    closed.push({ pgTps: pg.tps, pgP50: percentiles(pg.latency).p50, cbQps: cb.throughputPerSec, cbP50: cb.operations[0].latencyUs.p50 });
  }
  const open: Array<{ pg: ReturnType<typeof percentiles>; pgCount: number; cb: OperationResult }> = [];
  for (let k = 0; k < repeats && !opts.signal.aborted; k++) {
    log(`replay: open loop at ${opts.ratePerSec}/s, ${opts.concurrency} connections, repeat ${k + 1} of ${repeats}: ${k % 2 === 0 ? 'pgbench -R, then chatbench' : 'chatbench, then pgbench -R'}`);
    const [pg, cb] = await alternating(k, () => pgbench(target, variant.schema, script, { clients: opts.concurrency, seconds, ratePerSec: opts.ratePerSec }), async () => (await run({ kind: 'open', ratePerSec: opts.ratePerSec, arrivals: 'poisson' })).variants[0].operations[0]);
    open.push({ pg: percentiles(pg.latency), pgCount: pg.latency.totalCount, cb });
  }
  if (closed.length === 0 || open.length === 0) throw new InterruptedError();
  const list = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
  // The repeat whose paired ratio is the median: its two values and its ratio agree in the table.
  const mid = <T>(xs: T[], ratio: (x: T) => number): T => xs[xs.map((x, i) => [ratio(x), i]).sort((a, b) => a[0] - b[0])[Math.floor(xs.length / 2)][1]];
  const rClosed = (c: (typeof closed)[number]) => c.cbQps / c.pgTps;
  const r50 = (o: (typeof open)[number]) => (o.cb.latencyUs.p50 ? o.pg.p50 / o.cb.latencyUs.p50 : 0);
  const r99 = (o: (typeof open)[number]) => (o.cb.latencyUs.p99 ? o.pg.p99 / o.cb.latencyUs.p99 : 0);
  const mc = mid(closed, rClosed);
  const o50 = mid(open, r50);
  const o99 = mid(open, r99);
  const last = open[open.length - 1];
  return {
    comparisons: [
      comparison({ name: `history page, closed loop C=${opts.concurrency}`, unit: 'queries/s', peer: 'pgbench -M prepared', peerValue: mc.pgTps, chatbenchValue: mc.cbQps, ratio: rClosed(mc), target: 0.9, detail: `the median of ${closed.length} paired repeats (order alternating); queries/s pgbench ${list(closed.map((c) => c.pgTps))}, chatbench ${list(closed.map((c) => c.cbQps))}; p50 pgbench ${list(closed.map((c) => c.pgP50))} µs, chatbench ${list(closed.map((c) => c.cbP50))} µs; pgbench -j ${Math.min(opts.concurrency, os.availableParallelism())}, chatbench ${workersText}` }),
      comparison({ name: `history page, open loop ${opts.ratePerSec}/s: p50`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: o50.pg.p50, chatbenchValue: o50.cb.latencyUs.p50, ratio: r50(o50), target: 1 / 1.25, detail: `latency from the scheduled start; ratio = pgbench / chatbench (target: chatbench at most 1.25x pgbench); the median of ${open.length} paired repeats: pgbench ${list(open.map((o) => o.pg.p50))}, chatbench ${list(open.map((o) => o.cb.latencyUs.p50))} µs` }),
      comparison({ name: `history page, open loop ${opts.ratePerSec}/s: p99`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: o99.pg.p99, chatbenchValue: o99.cb.latencyUs.p99, ratio: r99(o99), target: 0.5, detail: `target: chatbench at most 2x pgbench; the median of ${open.length} paired repeats: pgbench ${list(open.map((o) => o.pg.p99))}, chatbench ${list(open.map((o) => o.cb.latencyUs.p99))} µs; chatbench's own start lateness p99 ${list(open.map((o) => o.cb.harnessLagUs?.p99 ?? 0))} µs; last repeat: pgbench logged ${last.pgCount} transactions, chatbench ${last.cb.ok} (dropped ${last.cb.dropped})` }),
    ],
    extra: { law, concurrency: opts.concurrency, durationMs: opts.durationMs, ratePerSec: opts.ratePerSec, workers: opts.workers, repeats, closed, open: open.map((o) => ({ pgbench: o.pg, chatbench: o.cb.latencyUs, chatbenchHarnessLag: o.cb.harnessLagUs })) },
  };
}
