// Judging one capacity step (the objective, the error budget, the drop budget) and, at the first
// step that failed, saying who set the limit: the design (its server time grew, its connections
// were all busy) or chatbench itself (its lateness, GC pauses or CPU grew while the server's time did not).
import { formatRate, formatUs } from '../metrics/format.ts';
import { decodeHistogram, mergeHistograms, percentiles } from '../metrics/histogram.ts';
import { describeCheck, evaluateVariantSlo } from '../metrics/slo.ts';
import type { CapacityStepFacts, Percentiles, SloCheck, SloTerm, VariantScenarioResult } from '../results/types.ts';

export interface Budgets {
  /** failed / (ok + failed) allowed. */
  maxErrorRate: number;
  /** dropped / attempted allowed, on top of one operation per connection still queued when a step stops. */
  maxDropRate: number;
}

/** chatbench's own side of a step: its load threads and its floor, as the engine measured them. */
export interface HarnessSide {
  /** Load threads of the step (each can keep at most one core busy). */
  workers: number;
  /** SELECT 1 through the same path, one user, closed loop, before the step (the engine's floor). */
  floorUs: { p50: number; p99: number } | null;
}

/**
 * p99 of one lateness figure over all operations: the engine keeps per-operation percentiles only,
 * so the worst operation among those with 100 samples or more (any, when none has) stands for it.
 */
function worstP99(v: VariantScenarioResult, pick: (o: VariantScenarioResult['operations'][number]) => Percentiles | undefined): number | null {
  const withFigure = v.operations.filter((o) => pick(o) && o.ok > 0);
  if (!withFigure.length) return null;
  const enough = withFigure.filter((o) => o.attempted >= 100);
  return Math.max(...(enough.length ? enough : withFigure).map((o) => pick(o)!.p99));
}

/** The facts a step is judged and explained by, from its measured phase. */
export function stepFacts(v: VariantScenarioResult, offeredPerSec: number, harness: HarnessSide): CapacityStepFacts {
  const sum = (f: (o: VariantScenarioResult['operations'][number]) => number) => v.operations.reduce((a, o) => a + f(o), 0);
  const attempted = sum((o) => o.attempted);
  const ok = sum((o) => o.ok);
  const failed = sum((o) => o.failed);
  const dropped = sum((o) => o.dropped);
  const errors: CapacityStepFacts['errors'] = {};
  for (const o of v.operations) {
    for (const [code, e] of Object.entries(o.errors)) {
      errors[code] = { count: (errors[code]?.count ?? 0) + e.count, name: e.name };
    }
  }
  // Operations sharing one statement carry copies of its counters: count each statement once.
  const statements = new Map<string, { calls: number; meanExecMs: number }>();
  for (const o of v.operations) {
    if (o.server && o.server.calls > 0) statements.set(JSON.stringify(o.server), o.server);
  }
  const execCalls = [...statements.values()].reduce((a, x) => a + x.calls, 0);
  const execMs = [...statements.values()].reduce((a, x) => a + x.calls * x.meanExecMs, 0);
  const seconds = v.durationMs / 1000;
  const gc = v.client?.gcPauseUs;
  return {
    offeredPerSec,
    achievedPerSec: seconds > 0 ? ok / seconds : 0,
    attempted,
    ok,
    failed,
    dropped,
    errorRate: ok + failed > 0 ? failed / (ok + failed) : 0,
    dropRate: attempted > 0 ? dropped / attempted : 0,
    errors,
    latencyUs: percentiles(mergeHistograms(v.operations.map((o) => decodeHistogram(o.histograms.latency)))),
    serviceUs: percentiles(mergeHistograms(v.operations.map((o) => decodeHistogram(o.histograms.service)))),
    serverExecMeanUs: execCalls > 0 ? (execMs / execCalls) * 1000 : null,
    gcPauseP99Us: gc ? gc.p99 : null,
    gcPauseMsPerSec: gc && seconds > 0 ? gc.totalMs / seconds : null,
    harnessLagP99Us: worstP99(v, (o) => o.harnessLagUs),
    lagP99Us: worstP99(v, (o) => o.lagUs),
    clientCpuCores: v.client?.cpuMs !== undefined && v.durationMs > 0 ? v.client.cpuMs / v.durationMs : null,
    workers: harness.workers,
    harnessFloorUs: harness.floorUs,
  };
}

export interface Judgement {
  pass: boolean;
  certain: boolean;
  reasons: string[];
  checks: SloCheck[];
}

const pct = (x: number) => `${Number((x * 100).toPrecision(2))}%`;

/** Met, missed, or not sure (a band straddles a limit): the objective and both budgets. */
export function judgeStep(terms: readonly SloTerm[], budgets: Budgets, v: VariantScenarioResult, facts: CapacityStepFacts, connections: number): Judgement {
  const checks = evaluateVariantSlo(terms, v);
  const reasons: string[] = [];
  for (const c of checks.filter((x) => !x.met)) reasons.push(c.operation === null && v.operations.length > 1 ? `${describeCheck(c)}${slowest(c, v)}` : describeCheck(c));
  const errorsOver = facts.errorRate > budgets.maxErrorRate;
  if (errorsOver) {
    const codes = Object.entries(facts.errors).sort((a, b) => b[1].count - a[1].count).map(([code, e]) => `${code} ${e.name} ×${e.count}`);
    reasons.push(`errors ${pct(facts.errorRate)} over the ${pct(budgets.maxErrorRate)} budget (${codes.join(', ')})`);
  }
  // Stopping a step leaves up to one operation per connection queued: that is the step ending, not the design.
  const dropsAllowed = budgets.maxDropRate * facts.attempted + connections;
  const dropsOver = facts.dropped > dropsAllowed;
  if (dropsOver) reasons.push(`dropped ${pct(facts.dropRate)} (${facts.dropped} operations not started in time) over the ${pct(budgets.maxDropRate)} budget`);
  const pass = checks.every((c) => c.met) && !errorsOver && !dropsOver;
  // Budgets are counts, decided as they are; only the percentiles' bands can be unsure. A step that
  // failed on a budget is certain; a pass is certain only if every band clears its limit.
  const certain = pass ? checks.every((c) => c.certain) : errorsOver || dropsOver || checks.some((c) => !c.met && c.certain);
  if (pass && !certain) reasons.push(`close: ${checks.filter((c) => !c.certain).map(describeCheck).join('; ')}`);
  return { pass, certain, reasons, checks };
}

/**
 * For a miss of all operations together: the operation that is slowest at that percentile, since one
 * rare slow operation (a scan at 2% of the mix) can hold up the whole tail at any rate.
 */
function slowest(c: SloCheck, v: VariantScenarioResult): string {
  const each = evaluateVariantSlo([{ text: '', percentile: c.percentile, operation: '*', limitUs: c.limitUs, inclusive: c.inclusive }], v).filter((x) => x.samples > 0);
  const worst = each.sort((a, b) => b.valueUs - a.valueUs)[0];
  return worst ? `; slowest: ${worst.operation} p${c.percentile} ${formatUs(worst.valueUs)} (${worst.samples} operations)` : '';
}

export interface Attribution {
  limitedBy: 'server' | 'harness' | 'unknown';
  why: string;
}

/** Mean time per operation spent outside the server (client, network): a mean against the server's mean. */
const clientSide = (f: CapacityStepFacts) => (f.serverExecMeanUs === null ? null : Math.max(0, f.serviceUs.mean - f.serverExecMeanUs));

/** A figure of chatbench's that doubled against the lightest step and reached 1 ms. */
const grew = (before: number | null, after: number | null) => after !== null && after >= 1000 && after >= 2 * Math.max(100, before ?? 0);

/** What of chatbench's own figures at step f stands out against the lightest step (base), if anything. */
function harnessSignals(base: CapacityStepFacts, f: CapacityStepFacts, limitUs: number | null): string[] {
  const out: string[] = [];
  const half = (x: number | null) => x !== null && limitUs !== null && x >= 0.5 * limitUs;
  // A pause of 3 ms cannot explain a miss of an 80 ms objective: what grew must be a twentieth of the
  // limit (of the step's p99 when only a budget failed) to be blamed.
  const material = (x: number | null) => x !== null && x >= 0.05 * (limitUs ?? f.latencyUs.p99);
  // Its lateness in starting operations that had a free connection: the harness's own, not queueing.
  if (grew(base.harnessLagP99Us, f.harnessLagP99Us) && material(f.harnessLagP99Us)) out.push(`its own start lateness p99 ${formatUs(base.harnessLagP99Us ?? 0)} → ${formatUs(f.harnessLagP99Us!)}`);
  else if (half(f.harnessLagP99Us)) out.push(`its own start lateness p99 ${formatUs(f.harnessLagP99Us!)}, half the limit or more`);
  if (grew(base.gcPauseP99Us, f.gcPauseP99Us) && material(f.gcPauseP99Us)) out.push(`its GC pauses p99 ${formatUs(base.gcPauseP99Us ?? 0)} → ${formatUs(f.gcPauseP99Us!)}`);
  else if (half(f.gcPauseP99Us)) out.push(`its GC pauses p99 ${formatUs(f.gcPauseP99Us!)}, half the limit or more`);
  // A tenth of every load thread's time in GC: the threads are busy collecting, not measuring.
  if (f.gcPauseMsPerSec !== null && f.gcPauseMsPerSec >= 100 * f.workers) out.push(`its load threads spent ${Math.round(f.gcPauseMsPerSec / f.workers / 10)}% of their time in GC`);
  // Each load thread can keep one core busy; the main thread barely works during a step.
  if (f.clientCpuCores !== null && f.clientCpuCores >= 0.9 * f.workers) out.push(`it used ${(f.clientCpuCores * 100).toFixed(0)}% of a core${f.workers > 1 ? ` over ${f.workers} load threads` : ''}`);
  const before = clientSide(base);
  const after = clientSide(f);
  // Only when it grew to a real share of an operation's time: 300 µs more on a 20 ms operation is noise.
  if (before !== null && after !== null && after - before >= 200 && after >= 2 * Math.max(50, before) && after >= 0.2 * f.serviceUs.mean) out.push(`time outside the server per operation ${formatUs(before)} → ${formatUs(after)}`);
  // An objective within reach of the harness's own floor is not measurable by it at any rate.
  if (f.harnessFloorUs && half(f.harnessFloorUs.p99)) out.push(`its own floor (SELECT 1) p99 ${formatUs(f.harnessFloorUs.p99)}, half the limit or more`);
  return out;
}

/**
 * Who set the limit: chatbench is, when its own figures (its start lateness with a free connection,
 * GC pauses, CPU against its load threads, the client-side time per operation, or a floor near the
 * limit) grew before the server's time per operation did, going up the
 * rates from the lightest step to the first bad one; the design is when its server time grew first,
 * or its connections were all busy with nothing else growing (at C connections it serves about
 * C / service time). `series` is every decided step in rate order, the first bad one included.
 */
export function attributeLimit(series: CapacityStepFacts[], bad: CapacityStepFacts, connections: number, failedOn: string[], limitUs: number | null): Attribution {
  const upToBad = series.filter((f) => f.offeredPerSec <= bad.offeredPerSec);
  const base = upToBad[0] ?? bad;
  const failed = failedOn.join('; ');
  const serverGrewAt = (f: CapacityStepFacts) => base.serverExecMeanUs !== null && f.serverExecMeanUs !== null && f.serverExecMeanUs >= 1.25 * base.serverExecMeanUs;
  const firstHarness = upToBad.find((f) => harnessSignals(base, f, limitUs).length > 0);
  const firstServer = upToBad.find(serverGrewAt);
  const server = bad.serverExecMeanUs === null ? 'unknown (no pg_stat_statements)' : `${formatUs(base.serverExecMeanUs ?? bad.serverExecMeanUs)} at ${formatRate(base.offeredPerSec)}/s → ${formatUs(bad.serverExecMeanUs)}`;
  if (firstHarness) {
    const signals = harnessSignals(base, bad, limitUs);
    const shown = (signals.length ? signals : harnessSignals(base, firstHarness, limitUs)).join(', ');
    if (bad.serverExecMeanUs === null) return { limitedBy: 'unknown', why: `${failed}; chatbench's own figures grew (${shown}) and the server's time per operation is unknown (no pg_stat_statements), so the limit may be chatbench's` };
    if (!firstServer || firstHarness.offeredPerSec < firstServer.offeredPerSec) {
      return { limitedBy: 'harness', why: `chatbench itself was the limit, not the design: ${shown} from ${formatRate(firstHarness.offeredPerSec)}/s, while the server's time per operation ${firstServer ? `grew only from ${formatRate(firstServer.offeredPerSec)}/s` : 'stayed flat'} (${server}) (${failed})` };
    }
    if (firstHarness.offeredPerSec === firstServer.offeredPerSec) {
      return { limitedBy: 'unknown', why: `${failed}; chatbench's own figures (${shown}) and the server's time per operation (${server}) grew at the same step, so the limit may be chatbench's as much as the design's` };
    }
  }
  const busy = bad.serviceUs.p50 > 0 ? (connections * 1e6) / bad.serviceUs.p50 : null;
  const saturated = busy !== null && bad.offeredPerSec >= 0.9 * busy;
  return {
    limitedBy: 'server',
    why: `${failed}; server time per operation ${server}${saturated ? `; its ${connections} connections were all busy (at ${formatUs(bad.serviceUs.p50)} per operation they serve about ${Math.round(busy!)}/s)` : ''}`,
  };
}
