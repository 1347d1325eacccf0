// bench replay: the history page (src/bench/scenarios/history-page.ts) replayed by chatbench's
// scenario engine and by pgbench (-M prepared), with the same SQL and the same parameter law, on the
// same seeded data, in one run: closed loop at C (queries per second; target chatbench >= 0.9x
// pgbench), then open loop at a fixed rate (latency from the scheduled start, pgbench -R's log).
import type { Target } from '../db/target.ts';
import type { Model } from '../generate/model.ts';
import { percentiles } from '../metrics/histogram.ts';
import type { BenchComparison } from '../results/types.ts';
import { queries } from '../scenario/api.ts';
import type { Variant } from '../schema/variants.ts';
import { buildWorld } from '../scenario/world.ts';
import { chatbenchRun, comparison, pgbench, pgbenchSql } from './common.ts';

export interface ReplayOptions {
  concurrency: number;
  durationMs: number;
  ratePerSec: number;
  workers: number;
  signal: AbortSignal;
}

/** The history page's law as a pgbench script: the hottest channel, a cursor uniform over the data's ids. */
export function historyPageScript(model: Model): { script: string; law: { channel: number; idLo: number; idHi: number } } {
  const world = buildWorld(model, model.endMs, () => 0);
  const law = { channel: world.hottestChannel(), idLo: world.idFloor(world.startMs), idHi: world.idFloor(world.endMs) };
  return { law, script: `\\set c ${law.channel}\n\\set cursor random(${law.idLo}, ${law.idHi - 1})\n${pgbenchSql(queries.PAGE_BEFORE, ['c', 'cursor'])}\n` };
}

export async function benchReplay(target: Target, variant: Variant, model: Model, opts: ReplayOptions, log: (m: string) => void): Promise<{ comparisons: BenchComparison[]; extra: Record<string, unknown> }> {
  const { script, law } = historyPageScript(model);
  const seconds = Math.max(1, Math.round(opts.durationMs / 1000));
  const run = (shape: Parameters<typeof chatbenchRun>[1]['shape']) =>
    chatbenchRun(target, { scenario: 'history-page', variants: [variant], shape, connections: opts.concurrency, durationMs: seconds * 1000, warmupMs: 1000, workers: opts.workers, signal: opts.signal });

  log(`replay: pgbench -M prepared -c ${opts.concurrency}, ${seconds}s, closed loop`);
  const pgClosed = await pgbench(target, variant.schema, script, { clients: opts.concurrency, seconds });
  log(`replay: chatbench closed loop, ${opts.concurrency} users, ${seconds}s (${opts.workers} worker${opts.workers > 1 ? 's' : ''})`);
  const cbClosed = (await run({ kind: 'closed', concurrency: opts.concurrency })).variants[0];
  const cbQps = cbClosed.throughputPerSec;

  log(`replay: open loop at ${opts.ratePerSec}/s, ${opts.concurrency} connections: pgbench -R with a per-transaction log`);
  const pgOpen = await pgbench(target, variant.schema, script, { clients: opts.concurrency, seconds, ratePerSec: opts.ratePerSec });
  log(`replay: chatbench open loop at ${opts.ratePerSec}/s`);
  const cbOpen = (await run({ kind: 'open', ratePerSec: opts.ratePerSec, arrivals: 'poisson' })).variants[0].operations[0];
  const pg = percentiles(pgOpen.latency);
  return {
    comparisons: [
      comparison({ name: `history page, closed loop C=${opts.concurrency}`, unit: 'queries/s', peer: 'pgbench -M prepared', peerValue: pgClosed.tps, chatbenchValue: cbQps, ratio: cbQps / pgClosed.tps, target: 0.9, detail: `same SQL and parameter law; p50 pgbench ${percentiles(pgClosed.latency).p50} µs, chatbench ${cbClosed.operations[0].latencyUs.p50} µs` }),
      comparison({ name: `history page, open loop ${opts.ratePerSec}/s: p50`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: pg.p50, chatbenchValue: cbOpen.latencyUs.p50, ratio: cbOpen.latencyUs.p50 ? pg.p50 / cbOpen.latencyUs.p50 : 0, target: 1 / 1.25, detail: 'latency from the scheduled start; ratio = pgbench / chatbench (target: chatbench at most 1.25x pgbench)' }),
      comparison({ name: `history page, open loop ${opts.ratePerSec}/s: p99`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: pg.p99, chatbenchValue: cbOpen.latencyUs.p99, ratio: cbOpen.latencyUs.p99 ? pg.p99 / cbOpen.latencyUs.p99 : 0, target: 0.5, detail: `target: chatbench at most 2x pgbench; pgbench logged ${pgOpen.latency.totalCount} transactions, chatbench ${cbOpen.ok} (dropped ${cbOpen.dropped}); chatbench's own start lateness p99 ${cbOpen.harnessLagUs?.p99 ?? 0} µs` }),
    ],
    extra: { law, concurrency: opts.concurrency, durationMs: opts.durationMs, ratePerSec: opts.ratePerSec, workers: opts.workers, pgbenchOpen: pg, chatbenchOpen: cbOpen.latencyUs, chatbenchHarnessLag: cbOpen.harnessLagUs },
  };
}
