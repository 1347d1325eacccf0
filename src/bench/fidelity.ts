// bench fidelity: does chatbench see what the server does? Against pgbench on the same data, SQL
// and parameter law, in one run:
//   1. differences kept: two designs' p50 ratio, one user, closed loop, for the history page (the
//      generic plan on both sides) and for a time-range read (custom plans on both sides): the same
//      plan kind on both, or the plan cache's draw decides the ratio (measured: pgbench's own ratio
//      went from 1.5x to 0.8x between runs on auto); chatbench must
//      keep at least 85% of the difference pgbench measures: (r_chatbench - 1) >= 0.85 (r_pgbench - 1);
//   2. on time: open loop at a rate, latency from the scheduled start, p50 at most 1.25x and p99 at
//      most 2x pgbench -R's; and chatbench's own start lateness at 2,000/s, p99 under 100 µs, shown
//      beside the machine's own floor (a bare schedule, no database: sleeping, and spinning).
// Each pair is measured by one tool then the other (their order swapped on every other repeat),
// each tool interleaving the two designs second by second, several times after an unmeasured
// warm-up; the median of the repeats is reported, with every repeat in the results.
import type pg from 'pg';
import { connectClient, type Target } from '../db/target.ts';
import { InterruptedError } from '../errors.ts';
import type { Model } from '../generate/model.ts';
import { bareScheduleLateness } from '../metrics/clock.ts';
import { median, mergeHistograms, newHistogram, percentiles, record, type Histogram } from '../metrics/histogram.ts';
import type { BenchComparison } from '../results/types.ts';
import { ensurePgss, queries, scenarioFile, worldAt } from '../scenario/engine.ts';
import type { Variant } from '../schema/variants.ts';
import { alternating, chatbenchRun, comparison, pgbench, pgbenchSql, prewarmMessages } from './common.ts';
import { historyPageScript } from './replay.ts';

export interface FidelityOptions {
  durationMs: number;
  ratePerSec: number;
  repeats: number;
  signal: AbortSignal;
}

export interface FidelityDesigns {
  /** The history page is compared between these two. */
  page: [Variant, Variant];
  /** The time-range read between these two. */
  day: [Variant, Variant];
}

/** The bare schedule (metrics/clock) in one-second slices, so that Ctrl-C is heard between them; its lateness in the harness's histogram. */
async function bareSchedule(mode: 'sleep' | 'spin', seconds: number, signal: AbortSignal): Promise<{ starts: number; p50: number; p99: number; max: number }> {
  const late = newHistogram();
  for (let k = 0; k < seconds && !signal.aborted; k++) {
    for (const l of bareScheduleLateness(2000, 1000, mode, k + 1)) record(late, l);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { p50, p99, max } = percentiles(late);
  return { starts: late.totalCount, p50, p99, max };
}

/** The time-range read's law as a pgbench script: the hottest channel, a day uniform over the data. */
function channelDayScript(model: Model): string {
  const world = worldAt(model, model.endMs);
  const lo = Math.ceil(world.startMs / 1000);
  const hi = Math.floor(world.endMs / 1000) - 86_400;
  return `\\set c ${world.hottestChannel()}\n\\set day random(${lo}, ${Math.max(lo, hi - 1)})\n${pgbenchSql(queries.CHANNEL_DAY, ['c', 'day'])}\n`;
}

export interface PairRepeat {
  pgbenchP50Us: [number, number];
  chatbenchP50Us: [number, number];
  pgbenchMeanUs: [number, number];
  chatbenchMeanUs: [number, number];
  /** The server's mean execution time of the statement, per design, in chatbench's window (its own evidence). */
  serverMeanUs: [number, number];
  /** The same in pgbench's window (0 where pg_stat_statements cannot be read). */
  pgbenchServerMeanUs: [number, number];
}

/**
 * pg_stat_statements' calls and execution time per statement of this database; empty where there is
 * no control connection or the read fails (the window then has no server figures).
 */
async function statementTotals(client: pg.Client | undefined): Promise<Map<string, { calls: number; ms: number }>> {
  const out = new Map<string, { calls: number; ms: number }>();
  if (!client) return out;
  try {
    // (false): without the query texts, which the view would read from disk on every call.
    const r = await client.query(
      `SELECT queryid::text AS id, sum(calls)::bigint AS calls, sum(total_exec_time) AS ms FROM pg_stat_statements(false)
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY queryid`,
    );
    for (const row of r.rows) out.set(row.id, { calls: Number(row.calls), ms: Number(row.ms) });
  } catch {
    out.clear();
  }
  return out;
}

/**
 * The server's own time for what a pgbench run executed after `skipMs`: pg_stat_statements read
 * then and after, and the statement with the most calls between the two reads, taken as pgbench's
 * one statement (the bench's own reads make one call each; a window whose busiest statement made
 * no more, after a reset say, gives no figures). On a server shared with other clients their
 * statements could be taken instead: the bench assumes it has the database to itself, as it does
 * on the embedded server. pgbench numbers a repeated variable's every use as a parameter of its
 * own, so its statement's id is not chatbench's and cannot be asked for by text.
 */
async function serverTimeOf<T>(control: pg.Client | undefined, run: () => Promise<T>, skipMs: number): Promise<{ result: T; calls: number; ms: number }> {
  // The first read waits skipMs into the run: the server's figures then cover what pgbench measures
  // after its warm-up (to within a process start, a few ms).
  const running = run();
  running.catch(() => {}); // awaited below; not an unhandled rejection while the first read waits
  await new Promise((resolve) => setTimeout(resolve, skipMs));
  const before = await statementTotals(control);
  const result = await running;
  const after = await statementTotals(control);
  let best = { calls: 0, ms: 0 };
  for (const [id, a] of after) {
    const b = before.get(id) ?? { calls: 0, ms: 0 };
    if (a.calls - b.calls > best.calls) best = { calls: a.calls - b.calls, ms: a.ms - b.ms };
  }
  return { result, ...(best.calls > 1 ? best : { calls: 0, ms: 0 }) };
}

/**
 * One user, closed loop, designs A and B, `repeats` times: pgbench on both then chatbench, the order
 * of the tools alternating between repeats, after each design's message relations are read into
 * the cache (prewarmMessages) and an unmeasured pgbench pass on each (a cold first repeat measured
 * btree-weekly's page at 5,951 µs against 544 warm, and would have been compared with a warm
 * chatbench; the pass alone left it at 3,593 µs after a seed had emptied the page cache).
 *
 * Within a repeat each tool interleaves the designs second by second (A B, B A, ...: pgbench as
 * 1-second runs whose logs are added, chatbench with --rounds), so that a ratio is taken between
 * windows of the same moment. With 5-second blocks, design A then design B, the server's own
 * mean-execution ratio between the designs went 1.84, 1.59, 1.48 over chatbench's three repeats of
 * one run while pgbench's p50 ratio stayed near 2.0, and at p50s of 250 and 500 µs such a drift
 * moves the kept share by 0.2. The server's own time is read in both tools' windows: chatbench's
 * runs report it, and pg_stat_statements is read on `control` around each of pgbench's runs.
 *
 * Each tool warms its connection before it measures: chatbench's rounds open theirs and warm up
 * (a second, then half a second each), and each of pgbench's one-second runs is a two-second run
 * whose first second is left out. Without that, pgbench measured new connections only, on which
 * the server ran the history page up to 2x slower than in chatbench's windows (runs 17-19).
 */
async function designPair(target: Target, control: pg.Client | undefined, scenario: string, script: string, pair: [Variant, Variant], planCache: 'custom' | 'generic', o: FidelityOptions, log: (m: string) => void): Promise<PairRepeat[]> {
  const seconds = Math.max(1, Math.round(o.durationMs / 1000));
  const name = scenario.split('/').pop()!.replace(/\.ts$/, '');
  const out: PairRepeat[] = [];
  for (const v of pair) {
    const blocks = await prewarmMessages(target, v.schema);
    log(`fidelity: ${name}: ${v.name}'s message relations read into the cache (${blocks === undefined ? 'pg_prewarm unavailable: the heap only, by a sequential scan, into the operating system\'s cache' : `pg_prewarm, ${blocks.toLocaleString('en-US')} blocks`}), then a pgbench -c 1 pass, 2s (not measured)`);
    await pgbench(target, v.schema, script, { clients: 1, seconds: 2, planCache });
  }
  for (let k = 0; k < o.repeats && !o.signal.aborted; k++) {
    const pgFirst = k % 2 === 0;
    log(`fidelity: ${name}, repeat ${k + 1} of ${o.repeats}: ${pgFirst ? 'pgbench -c 1 on both designs, then chatbench' : 'chatbench on both designs, then pgbench -c 1'}, ${seconds}s each, the designs interleaved second by second`);
    const tools = async () => {
      const runs: [Histogram[], Histogram[]] = [[], []];
      const server = [{ calls: 0, ms: 0 }, { calls: 0, ms: 0 }];
      for (let r = 0; r < seconds && !o.signal.aborted; r++) {
        for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
          const { result, calls, ms } = await serverTimeOf(control, () => pgbench(target, pair[i].schema, script, { clients: 1, seconds: 1, warmupSeconds: 1, planCache }), 1000);
          runs[i].push(result.latency);
          server[i].calls += calls;
          server[i].ms += ms;
        }
      }
      return { latency: runs.map(mergeHistograms), serverMeanUs: server.map((x) => (x.calls ? Math.round((x.ms / x.calls) * 1000) : 0)) as [number, number] };
    };
    const ours = () => chatbenchRun(target, { scenario, variants: pair, shape: { kind: 'closed', concurrency: 1 }, connections: 1, durationMs: seconds * 1000, warmupMs: 1000, rounds: seconds, planCache, signal: o.signal });
    const [{ latency: [a, b], serverMeanUs: theirServer }, cb] = await alternating(k, tools, ours);
    // Ctrl-C mid-repeat: its windows are cut short (or empty), so it is not one of the repeats.
    if (o.signal.aborted) throw new InterruptedError();
    const op = (i: number) => cb.variants.find((v) => v.variant === pair[i].name)!.operations[0];
    out.push({
      pgbenchP50Us: [percentiles(a).p50, percentiles(b).p50],
      chatbenchP50Us: [op(0).latencyUs.p50, op(1).latencyUs.p50],
      pgbenchMeanUs: [percentiles(a).mean, percentiles(b).mean],
      chatbenchMeanUs: [op(0).latencyUs.mean, op(1).latencyUs.mean],
      serverMeanUs: [Math.round((op(0).server?.meanExecMs ?? 0) * 1000), Math.round((op(1).server?.meanExecMs ?? 0) * 1000)],
      pgbenchServerMeanUs: theirServer,
    });
  }
  return out;
}

type PairFigure = keyof PairRepeat;

/**
 * How much of pgbench's difference between two designs chatbench keeps: (r_cb - 1) / (r_pg - 1),
 * slower over faster, p50s; then, as a second row with no target, how much of the server's own
 * difference each tool keeps in its own windows (means against pg_stat_statements' mean execution
 * time, the one statistic both sides have). The first compares two moments of the server, the
 * second does not: in runs 17-19 (docs/PERFORMANCE.md), before pgbench warmed its connections, the
 * server's mean time for the same statement was higher in pgbench's windows than in chatbench's in
 * every repeat, up to 2x, and this row is how that was seen. A ratio that cannot be taken (no
 * difference under pgbench, or none in the server's figures) is written as 0 and said in the
 * detail: results hold numbers only.
 */
export function kept(name: string, reps: PairRepeat[], pair: [Pick<Variant, 'name'>, Pick<Variant, 'name'>]): BenchComparison[] {
  // Orient by pgbench: the faster design under pgbench is the reference.
  const pgA = median(reps.map((r) => r.pgbenchP50Us[0]));
  const pgB = median(reps.map((r) => r.pgbenchP50Us[1]));
  const [fast, slow] = pgA <= pgB ? [0, 1] : [1, 0];
  const ratio = (which: PairFigure) => median(reps.map((r) => r[which][slow] / r[which][fast]));
  const share = (r: number, of: number) => (of > 1 && Number.isFinite(r) ? (r - 1) / (of - 1) : Number.NaN);
  const finite = (x: number) => (Number.isFinite(x) ? x : 0);
  const rPg = ratio('pgbenchP50Us');
  const rCb = ratio('chatbenchP50Us');
  const p = (r: PairRepeat, which: PairFigure) => `${r[which][fast]}/${r[which][slow]}`;
  const each = (which: PairFigure) => (reps.every((r) => r[which][0] === 0 && r[which][1] === 0) ? 'unavailable' : reps.map((r) => p(r, which)).join(', '));
  const designs = `${pair[slow].name} / ${pair[fast].name}`;
  const first = {
    name,
    unit: 'x',
    peer: 'pgbench -M prepared -c 1',
    peerValue: finite(rPg),
    chatbenchValue: finite(rCb),
    ratio: finite(share(rCb, rPg)),
    target: 0.85,
    detail: `${rPg > 1 ? '' : 'pgbench measured no difference between the designs, so there is none to keep (ratio written as 0). '}p50 ratio ${designs}; ratio column = share of pgbench's difference chatbench keeps. Repeats (p50 µs ${pair[fast].name}/${pair[slow].name}): pgbench ${each('pgbenchP50Us')}; chatbench ${each('chatbenchP50Us')}; server mean exec in pgbench's windows ${each('pgbenchServerMeanUs')}, in chatbench's ${each('serverMeanUs')}`,
  };
  const sPg = ratio('pgbenchServerMeanUs');
  const sCb = ratio('serverMeanUs');
  const mPg = ratio('pgbenchMeanUs');
  const mCb = ratio('chatbenchMeanUs');
  const keptPg = share(mPg, sPg);
  const keptCb = share(mCb, sCb);
  const against = keptCb / keptPg;
  if (!(sPg > 1 && sCb > 1 && keptPg > 0 && Number.isFinite(against))) {
    const why = !(Number.isFinite(sPg) && Number.isFinite(sCb)) ? "pg_stat_statements' figures are missing in one tool's windows" : !(sPg > 1 && sCb > 1) ? 'the server measured no difference between the designs in one tool\'s windows' : "pgbench's means kept none of the server's difference";
    return [comparison({ ...first, detail: `${first.detail}; no comparison against the server: ${why}` })];
  }
  const moved = Math.max(sPg, sCb) / Math.min(sPg, sCb) - 1;
  return [
    comparison(first),
    comparison({
      name: `${name}, each tool against the server in its own windows`,
      unit: 'share',
      peer: 'pgbench against the server',
      peerValue: keptPg,
      chatbenchValue: keptCb,
      ratio: against,
      detail: `mean ratio ${designs}, each tool's against pg_stat_statements' mean execution ratio in the same windows (no target: a diagnostic of the row above); pgbench ${mPg.toFixed(2)}x where the server ran ${sPg.toFixed(2)}x, chatbench ${mCb.toFixed(2)}x where it ran ${sCb.toFixed(2)}x; the server's own ratio differed by ${Math.round(moved * 100)}% between the tools' windows${moved > 0.1 ? ', so the row above compares two states of the server as much as two clients' : ''}. Repeats (mean µs ${pair[fast].name}/${pair[slow].name}): pgbench ${each('pgbenchMeanUs')}, chatbench ${each('chatbenchMeanUs')}`,
    }),
  ];
}

export async function benchFidelity(target: Target, designs: FidelityDesigns, model: Model, o: FidelityOptions, log: (m: string) => void): Promise<{ comparisons: BenchComparison[]; extra: Record<string, unknown> }> {
  const page = historyPageScript(model).script;
  const day = channelDayScript(model);
  // The server's own time under pgbench is read around its runs on this connection (chatbench's runs read their own).
  const control = await connectClient(target, { applicationName: 'chatbench bench' });
  let pageReps: PairRepeat[];
  let dayReps: PairRepeat[];
  try {
    const found = await ensurePgss(control);
    if (found.created) log(`fidelity: created the pg_stat_statements extension in ${target.display} for the server's own figures`);
    if (!found.available) log(`fidelity: no server figures in pgbench's windows: ${found.why}`);
    const pgss = found.available ? control : undefined;
    pageReps = await designPair(target, pgss, 'history-page', page, designs.page, 'generic', o, log);
    dayReps = await designPair(target, pgss, scenarioFile('channel-day'), day, designs.day, 'custom', o, log);
  } finally {
    await control.end().catch(() => {});
  }

  const seconds = Math.max(1, Math.round(o.durationMs / 1000));
  const base = designs.page[0];
  const open: Array<{ pgbench: { p50: number; p99: number }; chatbench: { p50: number; p99: number; harnessLagP99: number } }> = [];
  for (let k = 0; k < o.repeats && !o.signal.aborted; k++) {
    const pgFirst = k % 2 === 0;
    log(`fidelity: open loop ${o.ratePerSec}/s, 4 connections, on ${base.name}, repeat ${k + 1} of ${o.repeats}: ${pgFirst ? 'pgbench -R, then chatbench --rate' : 'chatbench --rate, then pgbench -R'}`);
    const theirs = async () => percentiles((await pgbench(target, base.schema, page, { clients: 4, seconds, ratePerSec: o.ratePerSec })).latency);
    const ours = async () => (await chatbenchRun(target, { scenario: 'history-page', variants: [base], shape: { kind: 'open', ratePerSec: o.ratePerSec, arrivals: 'poisson' }, connections: 4, durationMs: seconds * 1000, warmupMs: 1000, signal: o.signal })).variants[0].operations[0];
    const [pgOpen, cb] = await alternating(k, theirs, ours);
    if (o.signal.aborted) throw new InterruptedError();
    open.push({ pgbench: { p50: pgOpen.p50, p99: pgOpen.p99 }, chatbench: { p50: cb.latencyUs.p50, p99: cb.latencyUs.p99, harnessLagP99: cb.harnessLagUs?.p99 ?? 0 } });
  }
  log(`fidelity: start precision at 2,000/s on ${base.name}: pgbench -R, then chatbench --rate`);
  const fastPg = await pgbench(target, base.schema, page, { clients: 4, seconds, ratePerSec: 2000 });
  const pgLag = percentiles(fastPg.lag!);
  const fast = (await chatbenchRun(target, { scenario: 'history-page', variants: [base], shape: { kind: 'open', ratePerSec: 2000, arrivals: 'poisson' }, connections: 4, durationMs: seconds * 1000, warmupMs: 1000, signal: o.signal })).variants[0];
  if (o.signal.aborted) throw new InterruptedError();
  const fastOp = fast.operations[0];
  // The machine's own floor, same rate and priority, no database: how late a thread that sleeps
  // until its due time starts, and one that never sleeps. Nothing in userland starts on time more
  // precisely; on a virtual machine the wake-up of an idle virtual CPU sets most of it.
  log(`fidelity: this machine's own start lateness at 2,000/s, no database (${seconds}s sleeping, ${seconds}s spinning)`);
  const floor = { sleep: await bareSchedule('sleep', seconds, o.signal), spin: await bareSchedule('spin', seconds, o.signal) };
  if (o.signal.aborted) throw new InterruptedError();

  const m = (f: (x: (typeof open)[number]) => number) => median(open.map(f));
  const repeats = (f: (x: (typeof open)[number]) => number) => open.map(f).join(', ');
  return {
    comparisons: [
      ...kept(`history page (generic plan): difference between ${designs.page[0].name} and ${designs.page[1].name} kept`, pageReps, designs.page),
      ...kept(`channel day (custom plans): difference between ${designs.day[0].name} and ${designs.day[1].name} kept`, dayReps, designs.day),
      comparison({ name: `open loop ${o.ratePerSec}/s, 4 connections: p50 from the scheduled start`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: m((x) => x.pgbench.p50), chatbenchValue: m((x) => x.chatbench.p50), ratio: m((x) => x.pgbench.p50 / x.chatbench.p50), target: 0.8, detail: `ratio = pgbench / chatbench (target: chatbench at most 1.25x); repeats pgbench ${repeats((x) => x.pgbench.p50)}, chatbench ${repeats((x) => x.chatbench.p50)} µs` }),
      comparison({ name: `open loop ${o.ratePerSec}/s, 4 connections: p99 from the scheduled start`, unit: 'µs', peer: 'pgbench -R (log)', peerValue: m((x) => x.pgbench.p99), chatbenchValue: m((x) => x.chatbench.p99), ratio: m((x) => x.pgbench.p99 / x.chatbench.p99), target: 0.5, detail: `ratio = pgbench / chatbench (target: chatbench at most 2x); repeats pgbench ${repeats((x) => x.pgbench.p99)}, chatbench ${repeats((x) => x.chatbench.p99)} µs; chatbench's own start lateness p99 ${repeats((x) => x.chatbench.harnessLagP99)} µs` }),
      comparison({ name: 'open loop 2,000/s: chatbench starts on time (its own start lateness, p99)', unit: 'µs', peer: 'the bound', peerValue: 100, chatbenchValue: fastOp.harnessLagUs?.p99 ?? 0, ratio: 100 / Math.max(1, fastOp.harnessLagUs?.p99 ?? 0), target: 1, detail: `${fastOp.ok} operations, p50 lateness ${fastOp.harnessLagUs?.p50 ?? 0} µs; pgbench -R 2000 -c 4 on the same machine: schedule lag p50 ${pgLag.p50} µs, p99 ${pgLag.p99} µs (its lateness plus waits behind a client's previous transaction); this machine's own floor with no database: a thread sleeping until each due time starts p99 ${floor.sleep.p99} µs late (p50 ${floor.sleep.p50}), one that never sleeps p99 ${floor.spin.p99} µs (p50 ${floor.spin.p50}); GC pauses p99 ${fast.client?.gcPauseUs?.p99 ?? 0} µs (${fast.client?.gcPauseUs?.count ?? 0}); chatbench process CPU ${fast.client?.cpuMs ?? 0} ms over ${Math.round(fast.durationMs)} ms` }),
    ],
    extra: { pageRepeats: pageReps, dayRepeats: dayReps, open, fast: { latencyUs: fastOp.latencyUs, harnessLagUs: fastOp.harnessLagUs, client: fast.client, pgbenchLagUs: pgLag, machineFloor: floor }, designs: { page: designs.page.map((v) => v.name), day: designs.day.map((v) => v.name) } },
  };
}
