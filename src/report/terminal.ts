// The per-variant table a scenario prints on stdout: operations, counts and latency percentiles.
import { formatCount, formatUs } from '../metrics/format.ts';
import type { ScenarioResults } from '../results/types.ts';
import { EVENT_HEADER, eventCells, eventRows } from './event.ts';

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
  return `${r.scenario.name}: ${r.config.executor === 'open' ? `open loop at ${r.config.ratePerSec}/s` : `closed loop, ${r.config.concurrency} users`}, ${r.config.durationMs / 1000}s per variant\n${table(['variant', 'operation', 'ok', 'failed', 'dropped', 'ops/s', 'p50', 'p90', 'p99', 'p99.9', 'max'], rows, 2)}${eventTable}`;
}
