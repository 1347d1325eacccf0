// Run comparison: runs of one scenario side by side (before/after a schema change, two machines,
// two PostgreSQL versions). The first run is the baseline; each later run's p50, p99 and
// throughput per operation and variant are compared with it, and flagged as a regression beyond a
// threshold. With three or more runs, the spread between them gives the noise band.
import fs from 'node:fs';
import path from 'node:path';
import { formatCount, formatUs } from '../metrics/format.ts';
import type { ScenarioResults } from '../results/types.ts';
import type { ChartSpec } from './charts.ts';
import { esc, mdCell } from './escape.ts';
import { chartBlock, environment, page, swatch } from './html.ts';
import { renderPngs } from './png.ts';

export interface CompareCell {
  run: string;
  p50Us: number;
  p99Us: number;
  throughput: number;
  /** Change against the baseline, as a fraction (+0.25 = 25% more). */
  dP50: number;
  dP99: number;
  dThroughput: number;
  regression: boolean;
}

export interface CompareRow {
  operation: string;
  variant: string;
  baseline: { run: string; p50Us: number; p99Us: number; throughput: number };
  runs: CompareCell[];
  /** Largest relative spread of p99 between the runs (max-min over median), when 3+ runs exist. */
  noiseBand?: number;
  note: string;
}

export interface Comparison {
  scenario: string;
  threshold: number;
  runs: Array<{ runId: string; startedAt: string; postgres: string; machine: string; commit: string | null }>;
  rows: CompareRow[];
  regressions: number;
}

const rel = (now: number, before: number) => (before > 0 ? now / before - 1 : 0);

export function compareRuns(runs: ScenarioResults[], threshold: number): Comparison {
  const [base, ...others] = runs;
  const rows: CompareRow[] = [];
  for (const op of base.scenario.operations.map((o) => o.name)) {
    for (const v of base.variants) {
      const b = v.operations.find((o) => o.name === op);
      if (!b || b.ok === 0) continue;
      const bThroughput = b.ok / (v.durationMs / 1000);
      const cells: CompareCell[] = [];
      const all: number[] = [b.latencyUs.p99];
      for (const run of others) {
        const rv = run.variants.find((x) => x.variant === v.variant);
        const o = rv?.operations.find((x) => x.name === op);
        if (!rv || !o || o.ok === 0) continue;
        const throughput = o.ok / (rv.durationMs / 1000);
        const dP50 = rel(o.latencyUs.p50, b.latencyUs.p50);
        const dP99 = rel(o.latencyUs.p99, b.latencyUs.p99);
        const dThroughput = rel(throughput, bThroughput);
        all.push(o.latencyUs.p99);
        cells.push({ run: run.runId, p50Us: o.latencyUs.p50, p99Us: o.latencyUs.p99, throughput, dP50, dP99, dThroughput, regression: dP50 > threshold || dP99 > threshold || dThroughput < -threshold });
      }
      if (!cells.length) continue;
      const sorted = [...all].sort((x, y) => x - y);
      const median = sorted[Math.floor(sorted.length / 2)];
      const noiseBand = runs.length >= 3 && median > 0 ? (sorted[sorted.length - 1] - sorted[0]) / median : undefined;
      const flagged = cells.filter((c) => c.regression).length;
      const note = [
        noiseBand !== undefined ? `runs spread ±${((noiseBand / 2) * 100).toFixed(0)}% at p99` : '',
        noiseBand !== undefined && flagged && noiseBand > threshold ? 'the regression is within the spread of repeated runs' : '',
      ].filter(Boolean).join('; ');
      rows.push({ operation: op, variant: v.variant, baseline: { run: base.runId, p50Us: b.latencyUs.p50, p99Us: b.latencyUs.p99, throughput: bThroughput }, runs: cells, noiseBand, note });
    }
  }
  return {
    scenario: base.scenario.name,
    threshold,
    runs: runs.map((r) => ({ runId: r.runId, startedAt: r.startedAt, postgres: r.environment.versions.postgres, machine: `${r.environment.machine.cores} cores, ${r.environment.machine.cpuModel}`, commit: r.environment.versions.gitCommit })),
    rows,
    regressions: rows.reduce((a, r) => a + r.runs.filter((c) => c.regression).length, 0),
  };
}

const pct = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`;
const RUN_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2'];

export function compareCharts(c: Comparison): ChartSpec[] {
  const labels = c.rows.map((r) => `${r.operation} · ${r.variant}`);
  const runIds = c.runs.map((r) => r.runId);
  return [
    {
      id: 'compare-p99',
      title: 'p99 by run',
      png: 'compare-p99.png',
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: runIds.map((id, i) => ({
            label: id,
            data: c.rows.map((r) => (i === 0 ? r.baseline.p99Us : r.runs.find((x) => x.run === id)?.p99Us ?? null)),
            backgroundColor: RUN_COLORS[i % RUN_COLORS.length],
          })),
        },
        options: { responsive: false, animation: false, devicePixelRatio: 1, indexAxis: 'y', plugins: { title: { display: true, text: 'p99 latency by run (first run is the baseline)' }, legend: { position: 'bottom' } }, scales: { x: { type: 'logarithmic', unit: 'us', title: { display: true, text: 'p99' } } } },
      },
    },
  ];
}

export function comparePage(c: Comparison, runs: ScenarioResults[], charts: ChartSpec[]): string {
  const head = `<tr><th class="l">operation</th><th class="l">variant</th><th>baseline p50 · p99 · ops/s</th>${c.runs.slice(1).map((r) => `<th>${esc(r.runId)}<br>Δp50 · Δp99 · Δops/s</th>`).join('')}<th class="l">note</th></tr>`;
  const body = c.rows
    .map((r) => `<tr${r.runs.some((x) => x.regression) ? ' class="regression"' : ''}><td class="l">${esc(r.operation)}</td><td class="l">${swatch(r.variant)}</td><td>${esc(formatUs(r.baseline.p50Us))} · ${esc(formatUs(r.baseline.p99Us))} · ${formatCount(r.baseline.throughput)}</td>${c.runs
      .slice(1)
      .map((run) => {
        const x = r.runs.find((y) => y.run === run.runId);
        return x ? `<td>${pct(x.dP50)} · ${pct(x.dP99)} · ${pct(x.dThroughput)}${x.regression ? ' <span class="badge bad">regression</span>' : ''}</td>` : '<td class="muted">–</td>';
      })
      .join('')}<td class="l muted">${esc(r.note)}</td></tr>`)
    .join('');
  const runTable = `<table><thead><tr><th class="l">run</th><th class="l">started</th><th class="l">PostgreSQL</th><th class="l">machine</th><th class="l">commit</th></tr></thead><tbody>${c.runs.map((r, i) => `<tr><td class="l">${esc(r.runId)}${i === 0 ? ' <span class="badge">baseline</span>' : ''}</td><td class="l">${esc(r.startedAt)}</td><td class="l">${esc(r.postgres)}</td><td class="l">${esc(r.machine)}</td><td class="l">${esc(r.commit ?? '')}</td></tr>`).join('')}</tbody></table>`;
  const html = `<h1>${esc(c.scenario)}: ${c.runs.length} runs compared${c.regressions ? ` <span class="badge bad">${c.regressions} regression(s)</span>` : ' <span class="badge good">no regression</span>'}</h1>
<p class="muted">A change counts as a regression when p50 or p99 latency grows, or throughput falls, by more than ${(c.threshold * 100).toFixed(0)}% against the baseline.</p>
${runTable}
<h2>Changes against the baseline</h2>
<table id="comparison"><thead>${head}</thead><tbody>${body}</tbody></table>
<div class="charts">${charts.map(chartBlock).join('')}</div>
${environment(runs[0].environment, [], runs.map((r) => r.command).join(' ; '))}`;
  return page(`chatbench compare ${c.scenario}`, html, charts);
}

export function compareMarkdown(c: Comparison, pngs: string[]): string {
  const header = ['operation', 'variant', 'baseline p50 / p99', ...c.runs.slice(1).map((r) => `${r.runId} Δp50 / Δp99 / Δops`), 'note'];
  const rows = c.rows.map((r) => [
    mdCell(r.operation),
    mdCell(r.variant),
    `${formatUs(r.baseline.p50Us)} / ${formatUs(r.baseline.p99Us)}`,
    ...c.runs.slice(1).map((run) => {
      const x = r.runs.find((y) => y.run === run.runId);
      return x ? `${pct(x.dP50)} / ${pct(x.dP99)} / ${pct(x.dThroughput)}${x.regression ? ' **REGRESSION**' : ''}` : '–';
    }),
    mdCell(r.note),
  ]);
  return `# ${mdCell(c.scenario)}: ${c.runs.length} runs compared (${c.regressions} regressions beyond ${(c.threshold * 100).toFixed(0)}%)

| ${header.map(mdCell).join(' | ')} |
| ${header.map(() => '---').join(' | ')} |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

${pngs.map((p) => `![${p}](${p})`).join('\n\n')}
`;
}

/** Writes a comparison's folder: its charts as PNGs, summary.md, comparison.json and index.html; returns index.html's path. */
export async function writeComparison(dir: string, comparison: unknown, charts: ChartSpec[], markdown: (pngs: string[]) => string, page: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const pngs = await renderPngs(dir, charts);
  fs.writeFileSync(path.join(dir, 'summary.md'), markdown(pngs));
  fs.writeFileSync(path.join(dir, 'comparison.json'), `${JSON.stringify(comparison, null, 2)}\n`);
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, page);
  return file;
}
