// What `scenario` prints on stdout: with --json a summary of the results (the file has the rest),
// otherwise the terminal table with the answer checks and the report's path.
import type { ScenarioResults } from '../results/types.ts';
import { describeChecks, formatObjective, sloMet } from '../metrics/slo.ts';
import { terminalTable } from './terminal.ts';

/** The run's summary for --json: per variant and operation, counts and the headline percentiles. */
export function scenarioSummaryJson(results: ScenarioResults, reportDir: string): Record<string, unknown> {
  const mismatches = results.answerChecks.filter((c) => !c.ok);
  const slo = results.config.slo;
  const pick = (p: { p50: number; p90: number; p99: number; p999: number; max: number }) => ({ p50: p.p50, p90: p.p90, p99: p.p99, p999: p.p999, max: p.max });
  return {
    schemaVersion: 1,
    reportDir,
    scenario: results.scenario.name,
    partial: results.partial,
    answerChecks: { total: results.answerChecks.length, mismatches: mismatches.length },
    ...(results.harness ? { harness: { sql: results.harness.sql, floorUs: { p50: results.harness.floorUs.p50, p90: results.harness.floorUs.p90, p99: results.harness.floorUs.p99 } } } : {}),
    variants: results.variants.map((v) => ({
      variant: v.variant,
      throughputPerSec: v.throughputPerSec,
      operations: v.operations.map((o) => ({
        name: o.name,
        ok: o.ok,
        failed: o.failed,
        dropped: o.dropped,
        latencyUs: pick(o.latencyUs),
        serviceUs: pick(o.serviceUs),
        ...(o.server ? { serverCalls: o.server.calls, serverMeanExecUs: Math.round(o.server.meanExecMs * 1000) } : {}),
        ...(o.harnessLagUs ? { harnessLagUs: { p50: o.harnessLagUs.p50, p99: o.harnessLagUs.p99 } } : {}),
        ...(o.planKinds ? { plans: { generic: o.planKinds.generic, custom: o.planKinds.custom, mixed: o.planKinds.mixed } } : {}),
        ...(o.rounds ? { roundsP50Us: o.rounds.map((x) => x.p50Us) } : {}),
      })),
      ...(v.slo ? { slo: { met: sloMet(v.slo), checks: v.slo } } : {}),
    })),
    ...(slo ? { slo: { objective: formatObjective(slo), met: results.variants.every((v) => sloMet(v.slo ?? [])) } } : {}),
  };
}

/** The run for a person: the table, whether the designs answered alike, and where the report is. */
export function scenarioSummaryText(results: ScenarioResults, report: string): string {
  const mismatches = results.answerChecks.filter((c) => !c.ok);
  return [
    terminalTable(results),
    results.answerChecks.length ? `answer checks: ${results.answerChecks.length - mismatches.length}/${results.answerChecks.length} identical across variants${mismatches.length ? `; MISMATCH in ${[...new Set(mismatches.map((m) => m.operation))].join(', ')}` : ''}` : '',
    results.config.slo ? [`objective ${formatObjective(results.config.slo)}:`, ...results.variants.map((v) => `  ${v.variant}: ${describeChecks(v.slo ?? [])}`)].join('\n') : '',
    results.partial ? 'interrupted: partial results' : '',
    `report: ${report}`,
  ].filter(Boolean).join('\n');
}
