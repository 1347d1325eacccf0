// bench replay: history-scroll's keyset page replayed by chatbench's executor and by pgbench
// (-M prepared), with the same SQL and the same parameter law, on the same seeded data, in one run:
// closed loop at C (queries per second; target chatbench >= 0.9x pgbench), then open loop at a
// fixed rate (latency percentiles from the scheduled start, pgbench -R with its per-transaction log).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Slot } from '../scenario/connections.ts';
import { connectClient, type Target } from '../db/target.ts';
import type { Model } from '../generate/model.ts';
import { messageId } from '../generate/model.ts';
import { defineScenario, queries } from '../scenario/api.ts';
import { makeVirtualUser, runPhase, type LoadShape, type Op } from '../scenario/executor.ts';
import { percentiles, newHistogram, record } from '../metrics/histogram.ts';
import type { BenchComparison } from '../results/types.ts';
import type { Variant } from '../schema/variants.ts';
import { buildWorld } from '../scenario/world.ts';
import { comparison, runPeer } from './common.ts';

export interface ReplayOptions {
  concurrency: number;
  durationMs: number;
  ratePerSec: number;
}

/** The law both sides draw from: a text channel of the busiest server, a cursor anywhere in time. */
function parameterLaw(model: Model) {
  const s = 0;
  const lo = model.serverFirstChannel[s] + model.serverCategories[s] + 1;
  const hi = lo + model.serverTexts[s] - 1;
  const idLo = messageId(model.params.startMs, 0);
  const idHi = messageId(model.endMs, 0);
  return { lo, hi, idLo, idHi };
}

export async function benchReplay(target: Target, variant: Variant, model: Model, opts: ReplayOptions, log: (m: string) => void): Promise<{ comparisons: BenchComparison[]; extra: Record<string, unknown> }> {
  const law = parameterLaw(model);
  const scenario = defineScenario<Record<string, never>>({
    name: 'bench-replay',
    description: 'history page by keyset cursor',
    question: 'replay speed',
    defaults: { executor: 'closed', concurrency: opts.concurrency, durationMs: opts.durationMs, warmupMs: 0 },
    state: () => ({}),
    operations: [
      {
        name: 'page',
        kind: 'read',
        weight: 1,
        sql: queries.PAGE_BEFORE,
        params: (vu) => [law.lo + vu.rng.int(law.hi - law.lo + 1), law.idLo + vu.rng.int(law.idHi - law.idLo)],
      },
    ],
  });
  const ops: Op[] = [{ def: scenario.operations[0] as Op['def'], index: 0, statement: 'cb_bench_replay_page' }];
  const world = buildWorld(model, model.endMs, () => 0);
  const connect = () => connectClient(target, { schema: variant.schema, applicationName: 'chatbench bench' });
  const slots = await Promise.all(Array.from({ length: opts.concurrency }, async () => new Slot(connect, await connect())));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-replay-'));
  try {
    const script = path.join(tmp, 'page.sql');
    fs.writeFileSync(
      script,
      `\\set c random(${law.lo}, ${law.hi})\n\\set cursor random(${law.idLo}, ${law.idHi - 1})\n${queries.PAGE_BEFORE.replace('$1', ':c').replace('$2', ':cursor').replace(/\s+/g, ' ')};\n`,
    );
    const url = target.libpqUrl({ schema: variant.schema });
    const env = target.params.password && target.kind === 'url' ? { PGPASSWORD: target.params.password } : {};
    const seconds = Math.max(1, Math.round(opts.durationMs / 1000));
    const phase = async (shape: LoadShape) => {
      const vus = Array.from({ length: opts.concurrency }, (_, k) => makeVirtualUser(k, 0x5eed + k, world, 'load', scenario));
      return runPhase({ scenario, ops, vus, slots, shape, durationMs: opts.durationMs, signal: new AbortController().signal, arrivalSeed: 42 });
    };

    // Warm both sides' caches and plans identically before measuring.
    log('replay: warming up');
    await phase({ kind: 'closed', concurrency: opts.concurrency });

    log(`replay: pgbench -M prepared -c ${opts.concurrency}, ${seconds}s, closed loop`);
    const pg1 = await runPeer('pgbench', ['-n', '-M', 'prepared', '-c', String(opts.concurrency), '-j', String(Math.min(opts.concurrency, os.availableParallelism())), '-T', String(seconds), '-f', script, url], env);
    const pgTps = Number(/tps = ([\d.]+)/.exec(pg1.stdout)?.[1] ?? NaN);
    log(`replay: chatbench closed loop, ${opts.concurrency} users, ${seconds}s`);
    const closed = await phase({ kind: 'closed', concurrency: opts.concurrency });
    const cbQps = closed.stats[0].ok / (closed.elapsedMs / 1000);

    log(`replay: open loop at ${opts.ratePerSec}/s, pgbench -R with a per-transaction log`);
    await runPeer('pgbench', ['-n', '-M', 'prepared', '-c', String(opts.concurrency), '-j', String(Math.min(opts.concurrency, os.availableParallelism())), '-T', String(seconds), '-R', String(opts.ratePerSec), '-l', '--log-prefix', path.join(tmp, 'open'), '-f', script, url], env);
    const h = newHistogram();
    for (const f of fs.readdirSync(tmp).filter((x) => x.startsWith('open'))) {
      for (const line of fs.readFileSync(path.join(tmp, f), 'utf8').split('\n')) {
        const cols = line.trim().split(/\s+/);
        // client_id transaction_no time script_no time_epoch time_us schedule_lag: "time" is
        // latency in µs from the scheduled start under -R (lag included), as chatbench measures.
        if (cols.length >= 3 && /^\d+$/.test(cols[2])) record(h, Number(cols[2]));
      }
    }
    const pgOpen = percentiles(h);
    const open = await phase({ kind: 'open', ratePerSec: opts.ratePerSec, arrivals: 'poisson' });
    const cbOpen = percentiles(open.stats[0].latency);
    return {
      comparisons: [
        comparison({ name: `history page, closed loop C=${opts.concurrency}`, unit: 'queries/s', peer: 'pgbench -M prepared', peerValue: pgTps, chatbenchValue: cbQps, ratio: cbQps / pgTps, target: 0.9, detail: `same SQL and parameter law; chatbench p50 ${closed.stats[0].latency.getValueAtPercentile(50)} µs` }),
        comparison({ name: `history page, open loop ${opts.ratePerSec}/s: p50`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: pgOpen.p50, chatbenchValue: cbOpen.p50, ratio: cbOpen.p50 ? pgOpen.p50 / cbOpen.p50 : 0, detail: 'latency from the scheduled start; ratio = pgbench / chatbench (above 1: chatbench measured less)' }),
        comparison({ name: `history page, open loop ${opts.ratePerSec}/s: p99`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: pgOpen.p99, chatbenchValue: cbOpen.p99, ratio: cbOpen.p99 ? pgOpen.p99 / cbOpen.p99 : 0, detail: `pgbench logged ${h.totalCount} transactions, chatbench ${open.stats[0].ok} (dropped ${open.stats[0].dropped})` }),
      ],
      extra: { law, pgbenchClosed: pg1.stdout.trim().split('\n').slice(-6), pgbenchOpen: pgOpen, chatbenchOpen: cbOpen, concurrency: opts.concurrency, durationMs: opts.durationMs, ratePerSec: opts.ratePerSec },
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await Promise.all(slots.map((s) => s.close()));
  }
}
