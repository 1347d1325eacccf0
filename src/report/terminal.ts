// The per-variant table a scenario prints on stdout: operations, counts and latency percentiles.
import { formatCount, formatUs } from '../metrics/format.ts';
import type { ScenarioResults } from '../results/types.ts';
import { EVENT_HEADER, eventCells, eventRows } from './event.ts';
import { verdict } from './verdict.ts';

export function table(header: string[], rows: string[][], alignLeft = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < alignLeft ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export function terminalTable(r: ScenarioResults): string {
  const rows: string[][] = [];
  for (const v of r.variants) {
    for (const o of v.operations) {
      rows.push([
        v.variant,
        o.name,
        formatCount(o.ok),
        formatCount(o.failed),
        formatCount(o.dropped),
        formatCount(o.ok / (v.durationMs / 1000)),
        formatUs(o.latencyUs.p50),
        formatUs(o.latencyUs.p90),
        formatUs(o.latencyUs.p99),
        formatUs(o.latencyUs.p999),
        formatUs(o.latencyUs.max),
      ]);
    }
  }
  const events = eventRows(r);
  const eventTable = events.length ? `\n\n${table(EVENT_HEADER, events.map(eventCells), 3)}` : '';
  const rounds = (r.config.rounds ?? 1) > 1 ? ` in ${r.config.rounds} interleaved rounds` : '';
  return `${r.scenario.name}: ${r.config.executor === 'open' ? `open loop at ${r.config.ratePerSec}/s` : `closed loop, ${r.config.concurrency} users`}, ${r.config.durationMs / 1000}s per variant${rounds}\n${table(['variant', 'operation', 'ok', 'failed', 'dropped', 'ops/s', 'p50', 'p90', 'p99', 'p99.9', 'max'], rows, 2)}${eventTable}${verdictLines(r)}`;
}

/**
 * The verdict in a few lines: per operation the fastest design at p50 and every other design's
 * ratio, with its spread over rounds, "(noise)" where the difference is not established, the
 * server's mean time and the plan kind; then the verdict's notes, and the harness's floor.
 */
function verdictLines(r: ScenarioResults): string {
  const rows = verdict(r);
  if (r.variants.length < 2 && !r.harness) return '';
  const out = ['', 'verdict (p50; ratio to the fastest, [per-round spread]):'];
  for (const row of rows) {
    const cells = row.cells.map((c) => {
      const server = c.serverMeanUs !== undefined ? `, server ${formatUs(c.serverMeanUs)}${c.plan ? ` ${c.plan}` : ''}` : '';
      if (c.variant === row.fastestP50) return `${c.variant} ${formatUs(c.p50.value)} fastest${server}`;
      const spread = c.roundsP50 ? ` [${Math.min(...c.roundsP50).toFixed(2)}-${Math.max(...c.roundsP50).toFixed(2)}]` : '';
      return `${c.variant} ${c.ratioP50.toFixed(2)}x${spread}${c.noiseP50 ? ` (noise: ${c.noiseP50})` : ''}${server}`;
    });
    out.push(`  ${row.operation}: ${cells.join('; ')}`);
    if (row.note) out.push(`    ${row.note}`);
  }
  if (r.harness) out.push(`harness floor (${r.harness.sql}, same path): p50 ${formatUs(r.harness.floorUs.p50)}, p90 ${formatUs(r.harness.floorUs.p90)}, p99 ${formatUs(r.harness.floorUs.p99)}`);
  return `\n${out.join('\n')}`;
}
