// Judging one capacity step (the objective, the error budget, the drop budget) and, at the first
// step that failed, saying who set the limit: the design (its server time grew, its connections
// were all busy) or chatbench itself (its stalls, lateness or CPU grew while the server's time did not).
import { formatUs } from '../metrics/format.ts';
import { decodeHistogram, mergeHistograms, percentiles } from '../metrics/histogram.ts';
import { describeCheck, evaluateVariantSlo } from '../metrics/slo.ts';
import type { CapacityStepFacts, SloCheck, SloTerm, VariantScenarioResult } from '../results/types.ts';

export interface Budgets {
  /** failed / (ok + failed) allowed. */
  maxErrorRate: number;
  /** dropped / attempted allowed, on top of one operation per connection still queued when a step stops. */
  maxDropRate: number;
}

/** The facts a step is judged and explained by, from its measured phase. */
export function stepFacts(v: VariantScenarioResult, offeredPerSec: number, clientCpuCores: number | null): CapacityStepFacts {
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
  const lags = v.operations.filter((o) => o.lagUs && o.ok > 0);
  return {
    offeredPerSec,
    achievedPerSec: v.durationMs > 0 ? ok / (v.durationMs / 1000) : 0,
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
    clientStallP99Us: v.client ? v.client.eventLoopDelayUs.p99 : null,
    scheduleLagP99Us: null,
    lagP99Us: lags.length ? Math.max(...lags.map((o) => o.lagUs!.p99)) : null,
    clientCpuCores,
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
  for (const c of checks.filter((x) => !x.met)) reasons.push(describeCheck(c));
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

export interface Attribution {
  limitedBy: 'server' | 'harness' | 'unknown';
  why: string;
}

const grew = (a: number | null | undefined, b: number | null | undefined) => (a && b ? b / a : null);

/**
 * Who set the limit at the first bad step, against the last good one. chatbench is the limit when
 * its own figures (event-loop stalls, schedule lag, CPU, or client-side time per operation) grew
 * while the server's time per operation did not; otherwise the design is (its server time grew,
 * or its connections were all busy: at C connections it serves about C / service time).
 */
export function attributeLimit(good: CapacityStepFacts | null, bad: CapacityStepFacts, connections: number, failedOn: string[]): Attribution {
  const serverGrowth = grew(good?.serverExecMeanUs, bad.serverExecMeanUs);
  const signals: string[] = [];
  const stallGrowth = grew(Math.max(100, good?.clientStallP99Us ?? 0), bad.clientStallP99Us);
  if (bad.clientStallP99Us !== null && bad.clientStallP99Us >= 1000 && stallGrowth !== null && stallGrowth >= 2) {
    signals.push(`chatbench's event-loop stalls p99 ${formatUs(good?.clientStallP99Us ?? 0)} → ${formatUs(bad.clientStallP99Us)}`);
  }
  const lagGrowth = grew(Math.max(100, good?.scheduleLagP99Us ?? 0), bad.scheduleLagP99Us);
  if (bad.scheduleLagP99Us !== null && bad.scheduleLagP99Us >= 1000 && lagGrowth !== null && lagGrowth >= 2) {
    signals.push(`its schedule lag p99 ${formatUs(good?.scheduleLagP99Us ?? 0)} → ${formatUs(bad.scheduleLagP99Us)}`);
  }
  if (bad.clientCpuCores !== null && bad.clientCpuCores >= 0.9) signals.push(`it used ${(bad.clientCpuCores * 100).toFixed(0)}% of a core`);
  const clientSideUs = (f: CapacityStepFacts | null) => (f && f.serverExecMeanUs !== null ? f.serviceUs.p50 - f.serverExecMeanUs : null);
  const before = clientSideUs(good);
  const after = clientSideUs(bad);
  if (before !== null && after !== null && after - before >= 200 && after >= 2 * Math.max(50, before)) {
    signals.push(`time outside the server per operation ${formatUs(Math.max(0, before))} → ${formatUs(after)}`);
  }
  const failed = failedOn.join('; ');
  const server = bad.serverExecMeanUs === null ? 'unknown (no pg_stat_statements)' : `${formatUs(good?.serverExecMeanUs ?? bad.serverExecMeanUs)} → ${formatUs(bad.serverExecMeanUs)}`;
  if (signals.length && serverGrowth !== null && serverGrowth <= 1.25) {
    return { limitedBy: 'harness', why: `chatbench itself was the limit, not the design: ${signals.join(', ')} while the server's time per operation stayed at ${server} (${failed})` };
  }
  if (signals.length && serverGrowth === null) {
    return { limitedBy: 'unknown', why: `${failed}; chatbench's own figures grew (${signals.join(', ')}) and the server's time per operation is ${server}, so the limit may be chatbench's` };
  }
  const busy = bad.serviceUs.p50 > 0 ? (connections * 1e6) / bad.serviceUs.p50 : null;
  const saturated = busy !== null && bad.offeredPerSec >= 0.9 * busy;
  return {
    limitedBy: 'server',
    why: `${failed}; server time per operation ${server}${saturated ? `; its ${connections} connections were all busy (at ${formatUs(bad.serviceUs.p50)} per operation they serve about ${Math.round(busy!)}/s)` : ''}`,
  };
}
