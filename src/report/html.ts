// The report page: one self-contained HTML file (Chart.js, the runtime and the data inlined; a
// Content-Security-Policy forbids any network request), readable on a laptop and printable.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes, formatCount, formatMs, formatRate, formatUs } from '../metrics/format.ts';
import type { BenchResults, Results, RunEnvironment, ScenarioResults, SeedResults, VariantScenarioResult } from '../results/types.ts';
import type { ChartSpec } from './charts.ts';
import { variantColor } from './colors.ts';
import { esc, jsonForScript } from './escape.ts';
import { EVENT_HEADER, eventCells, eventRows } from './event.ts';
import { verdict, type VerdictRow } from './verdict.ts';
import { sloSection } from './slo.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  return fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

function runtimeSource(): string {
  return fs.readFileSync(path.join(HERE, 'chart-runtime.js'), 'utf8');
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #666; --line: #ddd; --bg: #fff; --card: #fafafa; --bad: #c0392b; --good: #1e8449; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.muted { color: var(--muted); } .question { font-size: 16px; margin: 8px 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eee; margin-left: 6px; }
.badge.partial, .badge.bad { background: #fdecea; color: var(--bad); } .badge.good { background: #e9f7ef; color: var(--good); }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.l, th.l { text-align: left; }
th { background: var(--card); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.win { font-weight: 600; } .noise { color: var(--muted); font-style: italic; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 12px; }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: hidden; }
.chart canvas { width: 100% !important; height: auto !important; }
details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; background: var(--card); }
summary { cursor: pointer; padding: 6px 10px; font-weight: 600; }
pre { font: 12px/1.35 "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-x: auto; padding: 8px 10px; margin: 0; background: #fff; white-space: pre; }
pre mark { background: #fff3b0; }
code { font: 12px "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f3f3f3; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.kv td:first-child { width: 260px; color: var(--muted); }
@media print { body { max-width: none; padding: 0; } .chart { break-inside: avoid; } details { break-inside: avoid; } }
`;

/** Opens every <details> before printing, so plans are on paper too. */
const PRINT_SCRIPT = `window.addEventListener('beforeprint', () => document.querySelectorAll('details').forEach((d) => (d.open = true)));`;

function page(title: string, body: string, charts: ChartSpec[]): string {
  const data = Object.fromEntries(charts.map((c) => [c.id, c.config]));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script type="application/json" id="chart-data">${jsonForScript(data)}</script>
<script>${chartJsSource().replace(/<\/script/gi, '<\\/script')}</script>
<script type="module">
${runtimeSource().replace(/<\/script/gi, '<\\/script')}
const configs = JSON.parse(document.getElementById('chart-data').textContent);
for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
  const config = prepareChart(configs[canvas.dataset.chart]);
  new Chart(canvas.getContext('2d'), config);
}
${PRINT_SCRIPT}
</script>
</body>
</html>
`;
}

function chartBlock(c: ChartSpec): string {
  return `<div class="chart"><canvas data-chart="${esc(c.id)}" width="${c.size?.width ?? 540}" height="${c.size?.height ?? 300}" aria-label="${esc(c.title)}"></canvas></div>`;
}

function swatch(variant: string): string {
  return `<span class="swatch" style="background:${variantColor(variant)}"></span>${esc(variant)}`;
}

function environment(env: RunEnvironment, extra: Array<[string, string]>, command: string): string {
  const rows: Array<[string, string]> = [
    ['command to reproduce', `<code>${esc(command)}</code>`],
    ['chatbench', `${esc(env.versions.chatbench)} (commit ${esc(env.versions.gitCommit ?? 'unknown')})`],
    ['Node.js', esc(env.versions.node)],
    ['PostgreSQL', esc(env.versions.postgres)],
    ['server', `${esc(env.target)} (${env.targetKind === 'embedded' ? 'embedded' : 'given by URL'})`],
    ['machine', `${env.machine.cores} cores, ${esc(formatBytes(env.machine.memBytes))} memory, ${esc(env.machine.cpuModel)}, ${esc(env.machine.platform)}`],
    ...(env.clientPriority ? [['chatbench\'s CPU priority', esc(env.clientPriority)] as [string, string]] : []),
    ...extra.map(([k, v]): [string, string] => [esc(k), v]),
  ];
  const settings = Object.entries(env.serverSettings).sort(([a], [b]) => a.localeCompare(b));
  return `<h2 id="environment">Environment</h2>
<table class="kv">${rows.map(([k, v]) => `<tr><td class="l">${k}</td><td class="l">${v}</td></tr>`).join('')}</table>
<details><summary>Server settings (${settings.length})</summary><table class="kv">${settings.map(([k, v]) => `<tr><td class="l">${esc(k)}</td><td class="l">${esc(v)}</td></tr>`).join('')}</table></details>`;
}

function header(kind: string, title: string, r: Results): string {
  return `<h1>${esc(title)}${r.partial ? '<span class="badge partial">partial: the run was interrupted</span>' : ''}</h1>
<div class="muted">chatbench ${esc(kind)} report · run ${esc(r.runId)} · ${esc(r.startedAt)} → ${esc(r.finishedAt)}</div>`;
}

// ---- scenario ---------------------------------------------------------------------------------

function verdictTable(rows: VerdictRow[], variants: string[]): string {
  const head = `<tr><th class="l">operation</th><th class="l">fastest (p50)</th>${variants.map((v) => `<th>${swatch(v)}<br>p50 · p99</th>`).join('')}<th class="l">note</th></tr>`;
  const body = rows
    .map((row) => {
      const cells = variants.map((v) => {
        const c = row.cells.find((x) => x.variant === v);
        if (!c) return '<td class="muted">–</td>';
        const spread = c.roundsP50 ? ` <span class="muted">(${Math.min(...c.roundsP50).toFixed(2)}–${Math.max(...c.roundsP50).toFixed(2)})</span>` : '';
        const r50 = c.variant === row.fastestP50 ? '<span class="win">fastest</span>' : `<span class="${c.withinNoiseP50 ? 'noise' : ''}" title="${c.noiseP50 ? `not established: ${c.noiseP50}` : 'real difference'}">${c.ratioP50.toFixed(2)}×</span>${spread}`;
        const r99 = c.variant === row.fastestP99 ? '<span class="win">fastest</span>' : `<span class="${c.withinNoiseP99 ? 'noise' : ''}">${c.ratioP99.toFixed(2)}×</span>`;
        const server = c.serverMeanUs !== undefined ? `<br><span class="muted">server ${esc(formatUs(c.serverMeanUs))}${c.plan ? ` · ${c.plan} plan` : ''}</span>` : '';
        return `<td data-variant="${esc(c.variant)}">${esc(formatUs(c.p50.value))} · ${esc(formatUs(c.p99.value))}<br>${r50} · ${r99}${server}</td>`;
      });
      return `<tr data-operation="${esc(row.operation)}"><td class="l">${esc(row.operation)}</td><td class="l">${swatch(row.fastestP50)}</td>${cells.join('')}<td class="l muted">${esc(row.note)}</td></tr>`;
    })
    .join('');
  return `<table id="verdict"><thead>${head}</thead><tbody>${body}</tbody></table>
<p class="muted">Ratios are latency relative to the fastest variant (1.50× = 50% slower), with the p50 ratio of each round in brackets when the designs ran interleaved in rounds. Italic ratios are within noise: the 95% confidence bands of the two percentiles overlap, or the ratio was not above 1 in every round, or the p50 difference is smaller than the harness's own jitter. Under each cell: the server's mean execution time for the operation (pg_stat_statements) and the plan kind its connections ran.</p>`;
}

/** What the harness itself costs: its floor (SELECT 1 through the same path) next to the client's latencies. */
function harnessSection(r: ScenarioResults): string {
  if (!r.harness) return '';
  const f = r.harness.floorUs;
  const rows = r.variants
    .flatMap((v) =>
      v.operations
        .filter((o) => o.ok > 0)
        .map((o) => {
          const server = o.server ? o.server.meanExecMs * 1000 : undefined;
          return `<tr><td class="l">${swatch(v.variant)}</td><td class="l">${esc(o.name)}</td><td>${esc(formatUs(o.latencyUs.p50))}</td><td>${server === undefined ? '–' : esc(formatUs(Math.round(server)))}</td><td>${esc(formatUs(f.p50))}</td><td>${server === undefined ? '–' : esc(formatUs(Math.max(0, Math.round(o.latencyUs.p50 - server))))}</td><td>${o.harnessLagUs ? esc(formatUs(o.harnessLagUs.p99)) : '–'}</td><td>${o.planKinds ? `${formatCount(o.planKinds.generic)} generic · ${formatCount(o.planKinds.custom)} custom${o.planKinds.mixed ? ' <b>(mixed)</b>' : ''}` : '–'}</td></tr>`;
        }),
    )
    .join('');
  return `<h2 id="harness">The harness and the server</h2>
<p>chatbench's floor, measured through its own path in each round (<code>${esc(r.harness.sql)}</code>, one user, closed loop): p50 ${esc(formatUs(f.p50))}, p90 ${esc(formatUs(f.p90))}, p99 ${esc(formatUs(f.p99))} (rounds' p50: ${r.harness.roundsP50Us.map((x) => esc(formatUs(x))).join(', ')}). A client latency is the server's execution plus the round trip, the protocol and the harness; differences between designs smaller than the floor's jitter (p90 − p50 = ${esc(formatUs(Math.max(0, f.p90 - f.p50)))}) are not the database's.</p>
<table><thead><tr><th class="l">variant</th><th class="l">operation</th><th>client p50</th><th>server mean exec</th><th>harness floor p50</th><th>beyond the server</th><th>start lateness p99</th><th class="l">plans run (measured)</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Start lateness (open loop): how late operations started that had a free connection when due, the harness's own timing error, kept apart from queueing behind busy connections. Plans run: pg_prepared_statements' generic and custom plan counts over the measured windows, from every connection.</p>`;
}

/** The client's own pauses: GC pauses of the load threads (older results: timer-based event-loop delay). */
function clientStalls(v: VariantScenarioResult): string {
  const gc = v.client?.gcPauseUs;
  if (gc) return `${esc(formatUs(gc.p99))} · ${esc(formatUs(gc.max))} (${formatCount(gc.count)} GCs)`;
  const old = v.client?.eventLoopDelayUs;
  return old ? `${esc(formatUs(old.p99))} · ${esc(formatUs(old.max))}` : '–';
}

function highlightPlan(text: string): string {
  return esc(text)
    .split('\n')
    .map((line) => (/_p\d{8}\b|_h\d{2}\b|_default\b|Subplans Removed/.test(line) ? `<mark>${line}</mark>` : line))
    .join('\n');
}

export function scenarioPage(r: ScenarioResults, charts: ChartSpec[]): string {
  const variants = r.variants.map((v) => v.variant);
  const rows = verdict(r);
  const shape = r.config.executor === 'open' ? `open loop at ${r.config.ratePerSec}/s (${esc(r.config.arrivals)} arrivals), latency from the scheduled start` : `closed loop, ${r.config.concurrency} virtual users`;
  const ops = r.scenario.operations;
  const byId = (id: string) => charts.find((c) => c.id === id);
  const spectra = charts.filter((c) => c.id.startsWith('spectrum-'));
  const bars = charts.filter((c) => c.id.startsWith('bars-'));
  const timelines = charts.filter((c) => c.id.startsWith('timeline-'));
  const storage = byId('storage');

  const opTable = `<table><thead><tr><th class="l">variant</th><th class="l">operation</th><th>ok</th><th>failed</th><th>dropped</th><th>ops/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>service p99</th>${r.config.executor === 'open' ? '<th>lag p99</th><th>start lateness p99</th>' : ''}</tr></thead><tbody>${r.variants
    .flatMap((v) =>
      v.operations.map(
        (o) =>
          `<tr><td class="l">${swatch(v.variant)}</td><td class="l">${esc(o.name)}${o.note ? `<div class="muted">${esc(o.note)}</div>` : ''}</td><td>${formatCount(o.ok)}</td><td>${formatCount(o.failed)}</td><td>${formatCount(o.dropped)}</td><td>${formatCount(o.ok / Math.max(0.001, v.durationMs / 1000))}</td><td>${esc(formatUs(o.latencyUs.p50))}</td><td>${esc(formatUs(o.latencyUs.p90))}</td><td>${esc(formatUs(o.latencyUs.p99))}</td><td>${esc(formatUs(o.latencyUs.p999))}</td><td>${esc(formatUs(o.latencyUs.max))}</td><td>${esc(formatUs(o.serviceUs.p99))}</td>${o.lagUs ? `<td>${esc(formatUs(o.lagUs.p99))}</td><td>${o.harnessLagUs ? esc(formatUs(o.harnessLagUs.p99)) : '–'}</td>` : ''}</tr>`,
      ),
    )
    .join('')}</tbody></table>`;

  const errors = r.variants.flatMap((v) => v.operations.flatMap((o) => Object.entries(o.errors).map(([code, e]) => ({ v: v.variant, op: o.name, code, ...e }))));
  const dropped = r.variants.flatMap((v) => v.operations.filter((o) => o.dropped > 0).map((o) => ({ v: v.variant, op: o.name, n: o.dropped })));
  const errorSection = `<h2 id="errors">Errors and dropped operations</h2>${
    errors.length
      ? `<table><thead><tr><th class="l">variant</th><th class="l">operation</th><th class="l">SQLSTATE</th><th class="l">condition</th><th>count</th><th class="l">example</th></tr></thead><tbody>${errors.map((e) => `<tr><td class="l">${swatch(e.v)}</td><td class="l">${esc(e.op)}</td><td class="l"><code>${esc(e.code)}</code></td><td class="l">${esc(e.name)}</td><td>${formatCount(e.count)}</td><td class="l">${esc(e.example)}</td></tr>`).join('')}</tbody></table>`
      : '<p>No operation failed.</p>'
  }${outageList(r)}${dropped.length ? `<table><thead><tr><th class="l">variant</th><th class="l">operation</th><th>dropped (not started in time)</th></tr></thead><tbody>${dropped.map((d) => `<tr><td class="l">${swatch(d.v)}</td><td class="l">${esc(d.op)}</td><td>${formatCount(d.n)}</td></tr>`).join('')}</tbody></table>` : '<p>No operation was dropped.</p>'}`;

  const bad = r.answerChecks.filter((c) => !c.ok);
  const checks = `<h2 id="answer-checks">Answer checks</h2>${
    r.answerChecks.length === 0
      ? '<p class="muted">One variant only: nothing to compare answers with.</p>'
      : `<p>${r.answerChecks.length - bad.length} of ${r.answerChecks.length} reads returned identical rows on every variant <span class="badge ${bad.length ? 'bad' : 'good'}">${bad.length ? `${bad.length} mismatches` : 'all identical'}</span></p>
<details${bad.length ? ' open' : ''}><summary>Checked reads</summary><table><thead><tr><th class="l">operation</th><th class="l">parameters</th><th class="l">reference</th><th class="l">result</th></tr></thead><tbody>${r.answerChecks
          .map((c) => `<tr><td class="l">${esc(c.operation)}</td><td class="l"><code>${esc(JSON.stringify(c.params))}</code></td><td class="l">${esc(c.reference.variant)}: ${c.reference.rows} rows <code>${esc(c.reference.digest)}</code></td><td class="l">${c.ok ? 'identical' : c.mismatches.map((m) => `<b>differs on ${esc(m.variant)}</b>: ${m.rows} rows <code>${esc(m.digest)}</code>`).join('<br>')}</td></tr>`)
          .join('')}</tbody></table></details>`
  }`;

  const evidence = `<h2 id="server">Server evidence</h2>
<table><thead><tr><th class="l">variant</th><th>buffer hit ratio</th><th>WAL written</th><th>temp bytes</th><th>deadlocks</th><th>commits</th><th>rollbacks</th><th>client GC pauses p99 · max</th></tr></thead><tbody>${r.variants
    .map((v) => `<tr><td class="l">${swatch(v.variant)}</td><td>${v.server.hitRatio === null ? '–' : `${(v.server.hitRatio * 100).toFixed(2)}%`}</td><td>${esc(formatBytes(v.server.walBytes))}</td><td>${esc(formatBytes(v.server.tempBytes))}</td><td>${v.server.deadlocks}</td><td>${formatCount(v.server.commits)}</td><td>${formatCount(v.server.rollbacks)}</td><td>${clientStalls(v)}</td></tr>`)
    .join('')}</tbody></table>
<p class="muted">Client stalls: garbage-collection pauses of chatbench's load threads while measuring (p99 · max, and how many). Latency percentiles near these values are partly the client's.</p>
<h3>pg_stat_statements during the measured phase</h3>
<table><thead><tr><th class="l">variant</th><th class="l">operation</th><th>calls</th><th>chatbench ok</th><th>mean exec</th><th>max exec</th><th>shared hit</th><th>shared read</th><th>rows</th></tr></thead><tbody>${r.variants
    .flatMap((v) => v.operations.filter((o) => o.server).map((o) => `<tr><td class="l">${swatch(v.variant)}</td><td class="l">${esc(o.name)}</td><td>${formatCount(o.server!.calls)}</td><td>${formatCount(o.ok)}</td><td>${esc(formatUs(o.server!.meanExecMs * 1000))}</td><td>${Number.isFinite(o.server!.maxExecMs) ? esc(formatUs(o.server!.maxExecMs * 1000)) : '–'}</td><td>${formatCount(o.server!.sharedHit)}</td><td>${formatCount(o.server!.sharedRead)}</td><td>${formatCount(o.server!.rows)}</td></tr>`))
    .join('')}</tbody></table>
<h3>Plans: the plan that ran, EXPLAIN (ANALYZE, BUFFERS) EXECUTE with parameters of the run</h3>
<p class="muted">Each operation's statement is prepared again after the run and explained as the kind of plan its connections ran (the cached generic plan, or a custom plan for these parameters); both kinds are also timed on the same parameters, so a verdict that rests on which plan the cache drew shows.</p>
${ops
    .map((op) =>
      r.variants
        .map((v) => {
          const o = v.operations.find((x) => x.name === op.name);
          if (!o?.plan) return '';
          const parts = o.plan.partitionsTotal ? ` · ${o.plan.partitionsScanned} of ${o.plan.partitionsTotal} partitions scanned` : '';
          const kind = o.plan.kind ? ` · ${o.plan.kind} plan${o.plan.kindSource === 'assumed' ? ' (no plan counts: assumed)' : ''}` : '';
          const t = o.plan.timings;
          const us = (ms: number) => formatUs(Math.round(ms * 1000));
          const timings = t ? `; server time for these parameters: generic plan ${us(t.generic.planMs + t.generic.execMs)} (planning ${us(t.generic.planMs)}), custom plans ${us(t.custom.planMs + t.custom.execMs)} (planning ${us(t.custom.planMs)})` : '';
          return `<details data-plan="${esc(op.name)}" data-kind="${esc(o.plan.kind ?? '')}"><summary>${esc(op.name)} on ${swatch(v.variant)}${esc(parts)}${esc(kind)}</summary><pre>${highlightPlan(o.plan.text)}</pre><div class="muted" style="padding:4px 10px">parameters: <code>${esc(JSON.stringify(o.plan.params))}</code>${esc(timings)}</div></details>`;
        })
        .join(''),
    )
    .join('')}
<details><summary>The SQL of each operation</summary>${ops.map((o) => `<h3>${esc(o.name)} <span class="badge">${esc(o.kind)}</span></h3><pre>${esc(o.sql)}</pre>`).join('')}</details>`;

  const sizeRows = r.variants.map((v) => {
    const idx = Object.entries(v.server.indexBytes).filter(([k]) => k.startsWith('messages_'));
    return `<tr><td class="l">${swatch(v.variant)}</td><td>${esc(formatBytes(v.server.tableBytes.messages ?? 0))}</td><td>${esc(formatBytes(v.server.indexBytes.messages_created_at_idx ?? 0))}</td><td class="l">${idx.map(([k, b]) => `${esc(k)} ${esc(formatBytes(b))}`).join('<br>')}</td><td>${v.seed ? esc(formatMs(seedWallMs(v.seed.steps))) : '–'}</td><td>${v.seed?.loadRowsPerSec ? formatCount(v.seed.loadRowsPerSec) : '–'}</td></tr>`;
  });
  const storageSection = `<h2 id="storage">Storage and seeding</h2>
<table><thead><tr><th class="l">variant</th><th>messages table</th><th>created_at index</th><th class="l">messages indexes</th><th>seed time</th><th>load rows/s</th></tr></thead><tbody>${sizeRows.join('')}</tbody></table>
${r.variants.some((v) => v.seed) ? `<details><summary>Seed steps per variant</summary><table><thead><tr><th class="l">variant</th>${[...new Set(r.variants.flatMap((v) => v.seed?.steps.map((s) => s.name) ?? []))].map((s) => `<th>${esc(s)}</th>`).join('')}</tr></thead><tbody>${r.variants.map((v) => `<tr><td class="l">${swatch(v.variant)}</td>${[...new Set(r.variants.flatMap((x) => x.seed?.steps.map((s) => s.name) ?? []))].map((s) => `<td>${esc(formatMs(v.seed?.steps.find((x) => x.name === s)?.ms ?? 0))}</td>`).join('')}</tr>`).join('')}</tbody></table></details>` : ''}
${storage ? `<div class="charts">${chartBlock(storage)}</div>` : ''}`;

  const events = eventRows(r);
  const eventSection = events.length
    ? `<h2 id="event">${esc(events[0].operation)}: the one-off event, and the other operations meanwhile</h2>
<table><thead><tr>${EVENT_HEADER.map((h, i) => `<th${i < 3 ? ' class="l"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${events
        .map((e) => `<tr>${eventCells(e).map((c, i) => `<td${i < 3 ? ' class="l"' : ''}>${i === 0 ? swatch(c) : esc(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>
<p class="muted">"In it": the other operations in flight at any moment of the event (started before it ended, finished after it began); their p99 against the p99 of the rest of the measured phase. WAL: what the whole server wrote from the event's start to its end. The event started ${events.map((e) => `${formatMs(e.startMs)}`).join(', ')} into the measured phase (the spike in the p99 timeline above).</p>
<div class="charts">${charts.filter((c) => c.id.startsWith('event-')).map(chartBlock).join('')}</div>`
    : '';
  const seed = r.seed;
  const body = `${header('scenario', `${r.scenario.name}: ${variants.join(' vs ')}`, r)}
<p class="question"><b>Question.</b> ${esc(r.scenario.question)}</p>
<p class="muted">${esc(r.scenario.description)}</p>
<p>${shape}; ${formatMs(r.config.durationMs)} measured per variant after ${formatMs(r.config.warmupMs)} of warm-up${(r.config.rounds ?? 1) > 1 ? `, in ${r.config.rounds} rounds with the variants interleaved` : ''}; ${r.config.connections} connections${r.config.workers ? ` on ${r.config.workers} load thread${r.config.workers > 1 ? 's' : ''}` : ''}; plan cache ${esc(r.config.planCache ?? 'auto')}; parameters seeded with ${r.config.seed}${seed ? `; data: ${formatCount(seed.messages)} messages, seed ${seed.seed}` : ''}.</p>
<h2 id="verdict-section">Verdict</h2>
${verdictTable(rows, variants)}
${sloSection(r, swatch)}
${harnessSection(r)}
<h2 id="latency">Latency</h2>
<div class="charts">${spectra.map(chartBlock).join('')}</div>
<div class="charts">${bars.map(chartBlock).join('')}</div>
${opTable}
<h2 id="over-time">Throughput and p99 over time</h2>
<div class="charts">${timelines.map(chartBlock).join('')}</div>
${eventSection}
${errorSection}
${checks}
${evidence}
${storageSection}
${environment(r.environment, [
    ['variants', variants.map((v) => swatch(v)).join(', ')],
    ['seed of the data', seed ? `${seed.seed} (${formatCount(seed.messages)} messages, ${formatCount(seed.users)} users, ${formatCount(seed.servers)} servers, ${seed.days} days from ${new Date(seed.startMs).toISOString().slice(0, 10)})` : 'unknown'],
    ['row counts', seed ? Object.entries(seed.rows).map(([t, n]) => `${esc(t)} ${formatCount(n)}`).join(', ') : '–'],
  ], r.command)}`;
  return page(`chatbench ${r.scenario.name}`, body, charts);
}

// ---- seed --------------------------------------------------------------------------------------

export function seedPage(r: SeedResults, charts: ChartSpec[]): string {
  const tables = [...new Set(r.variants.flatMap((v) => Object.keys(v.facts.tables)))];
  const scope = r.variants[0]?.facts.tables.messages?.checksumScope;
  const checksumsAgree = tables.every((t) => new Set(r.variants.map((v) => v.facts.tables[t]?.checksum)).size <= 1);
  const wide = charts.filter((c) => c.size && c.size.width > 600);
  const other = charts.filter((c) => !wide.includes(c));
  const total = r.totalMs ?? Math.max(0, ...r.variants.map((v) => seedWallMs(v.steps)));
  const stepRows = r.variants.flatMap((v) =>
    v.steps.map((s) => `<tr><td class="l">${swatch(v.variant)}</td><td class="l">${esc(s.name)}</td><td>${s.startMs === undefined ? '–' : esc(formatMs(s.startMs))}</td><td>${esc(formatMs(s.ms))}</td><td>${s.workMs === undefined ? '–' : esc(formatMs(s.workMs))}</td><td>${s.tasks ?? '–'}</td><td>${s.walBytes === undefined ? '–' : esc(formatBytes(s.walBytes))}</td><td class="l muted">${esc(s.detail ?? '')}</td></tr>`),
  );
  const body = `${header('seed', `seed: ${formatCount(r.plan.messages)} messages into ${r.variants.map((v) => v.variant).join(', ') || 'no variant'}`, r)}
<p>Seed ${r.plan.seed}: ${formatCount(r.plan.messages)} messages, ${formatCount(r.plan.users)} users, ${formatCount(r.plan.servers)} servers over ${r.plan.days} days from ${new Date(r.plan.startMs).toISOString().slice(0, 10)}; ${r.config.jobs} connections, ${esc(r.config.format)} COPY, verification ${esc(r.config.verify ?? 'full')}; <b>${esc(formatMs(total))}</b> in all.${r.config.variantsChosen ? ` ${esc(r.config.variantsChosen)}` : ''}${r.config.groups ? ` Seeded in ${r.config.groups.length} groups sized to the memory (designs that fit in it together, or one design alone), one after another: each generated once for its designs, loaded, then indexed: ${esc(r.config.groups.map((g) => g.join(', ')).join('; '))}.` : ''}</p>
<h2 id="summary">Variants</h2>
<table><thead><tr><th class="l">variant</th><th>wall time</th><th>load rows/s</th><th>load MB/s</th><th>on disk</th></tr></thead><tbody>${r.variants
    .map((v) => `<tr><td class="l">${swatch(v.variant)}${v.resumed ? '<span class="badge">resumed</span>' : ''}</td><td>${esc(formatMs(v.totalMs ?? seedWallMs(v.steps)))}</td><td>${v.facts.loadRowsPerSec ? formatCount(v.facts.loadRowsPerSec) : '–'}</td><td>${v.facts.loadBytesPerSec ? (v.facts.loadBytesPerSec / 1e6).toFixed(1) : '–'}</td><td>${esc(formatBytes(v.facts.totalBytes))}</td></tr>`)
    .join('')}</tbody></table>
<h2 id="timeline">Timeline</h2>
<p class="muted">Each bar is a load pass (its rows go to one COPY connection per table or partition) or a post-load task, on the connection that ran it; steps overlap, so their times do not add up to the total.</p>
<div>${wide.map(chartBlock).join('')}</div>
<h2 id="steps">Steps</h2>
<table><thead><tr><th class="l">variant</th><th class="l">step</th><th>started at</th><th>wall time</th><th>work (all connections)</th><th>tasks</th><th>WAL</th><th class="l">detail</th></tr></thead><tbody>${stepRows.join('')}</tbody></table>
<div class="charts">${other.map(chartBlock).join('')}</div>
<h2 id="tables">Tables</h2>
<p>Content checksums (${scope === 'full' ? 'every row' : scope === 'sample' ? `a sample of key ranges; every relation's row count was checked against what was loaded` : 'not computed: --verify none'}) ${scope === 'none' ? '' : checksumsAgree ? '<span class="badge good">identical in every variant</span>' : '<span class="badge bad">differ between variants</span>'}</p>
<table><thead><tr><th class="l">table</th>${r.variants.map((v) => `<th>${swatch(v.variant)}<br>rows · heap · indexes</th>`).join('')}<th class="l">checksum</th></tr></thead><tbody>${tables
    .map((t) => `<tr><td class="l">${esc(t)}</td>${r.variants.map((v) => {
      const f = v.facts.tables[t];
      return f ? `<td>${formatCount(f.rows)} · ${esc(formatBytes(f.tableBytes))} · ${esc(formatBytes(Object.values(f.indexes).reduce((a, b) => a + b, 0)))}</td>` : '<td>–</td>';
    }).join('')}<td class="l"><code>${esc(r.variants[0]?.facts.tables[t]?.checksum ?? '')}</code></td></tr>`)
    .join('')}</tbody></table>
<details><summary>Indexes</summary><table><thead><tr><th class="l">variant</th><th class="l">index</th><th>bytes</th></tr></thead><tbody>${r.variants.flatMap((v) => Object.values(v.facts.tables).flatMap((f) => Object.entries(f.indexes).map(([k, b]) => `<tr><td class="l">${swatch(v.variant)}</td><td class="l">${esc(k)}</td><td>${esc(formatBytes(b))}</td></tr>`))).join('')}</tbody></table></details>
${environment(r.environment, [['distribution parameters', `<code>${esc(JSON.stringify(r.plan.distribution))}</code>`]], r.command)}`;
  return page('chatbench seed', body, charts);
}

/** A seed's wall time from its steps: they overlap (start and end are recorded); older results only have durations, which were sequential. */
export function seedWallMs(steps: Array<{ ms: number; startMs?: number; endMs?: number }>): number {
  const timed = steps.filter((s) => s.startMs !== undefined && s.endMs !== undefined);
  if (timed.length === steps.length && steps.length) return Math.max(...timed.map((s) => s.endMs!)) - Math.min(...timed.map((s) => s.startMs!));
  return steps.reduce((a, s) => a + s.ms, 0);
}

// ---- bench ---------------------------------------------------------------------------------------

export function benchPage(r: BenchResults, charts: ChartSpec[]): string {
  const body = `${header('bench', `bench: ${r.bench}`, r)}
<p>Each figure was measured side by side with its peer, in one run, on the same server and data; the ratio is what holds on a shared machine.</p>
<table id="comparisons"><thead><tr><th class="l">comparison</th><th class="l">peer</th><th>peer</th><th>chatbench</th><th>ratio</th><th>target</th><th class="l">detail</th></tr></thead><tbody>${r.comparisons
    .map((c) => `<tr><td class="l">${esc(c.name)}</td><td class="l">${esc(c.peer)}</td><td>${esc(formatRate(c.peerValue))} ${esc(c.unit)}</td><td>${esc(formatRate(c.chatbenchValue))} ${esc(c.unit)}</td><td><b>${c.ratio.toFixed(2)}×</b></td><td>${c.target === undefined ? '–' : `≥ ${c.target}× <span class="badge ${c.met ? 'good' : 'bad'}">${c.met ? 'met' : 'not met'}</span>`}</td><td class="l muted">${esc(c.detail ?? '')}</td></tr>`)
    .join('')}</tbody></table>
<div class="charts">${charts.map(chartBlock).join('')}</div>
${r.extra ? `<details><summary>Details</summary><pre>${esc(JSON.stringify(r.extra, null, 2))}</pre></details>` : ''}
${environment(r.environment, [['configuration', `<code>${esc(JSON.stringify(r.config))}</code>`]], r.command)}`;
  return page(`chatbench bench ${r.bench}`, body, charts);
}

export { page, chartBlock, swatch, environment, header };

/** Outages (the server unreachable during the measured phase) and reconnections, if there were any. */
function outageList(r: ScenarioResults): string {
  // Condition names as the run recorded them with each operation's errors.
  const names = new Map(r.variants.flatMap((v) => v.operations.flatMap((o) => Object.entries(o.errors).map(([code, e]) => [code, e.name] as const))));
  const sqlstateLabel = (code: string) => names.get(code) ?? '';
  const rows = r.variants.flatMap((v) => (v.outages ?? []).map((o) => ({ v: v.variant, o, reconnects: v.reconnects ?? 0 })));
  if (!rows.length) return '';
  return `<h3>Server outages</h3><p>Times the server could not be reached, from the first lost connection to the next success; the run went on and the pool reconnected.</p><table><thead><tr><th class="l">variant</th><th>from</th><th>to</th><th>length</th><th class="l">failures in it, by SQLSTATE</th><th>reconnections</th></tr></thead><tbody>${rows
    .map(({ v, o, reconnects }) => `<tr><td class="l">${swatch(v)}</td><td>${(o.fromMs / 1000).toFixed(1)} s</td><td>${o.open ? 'end of run (still out)' : `${(o.toMs / 1000).toFixed(1)} s`}</td><td>${esc(formatMs(o.toMs - o.fromMs))}</td><td class="l">${Object.entries(o.failures).map(([code, n]) => `<code>${esc(code)}</code> ${esc(sqlstateLabel(code))} ×${formatCount(n)}`).join(', ')}</td><td>${formatCount(reconnects)}</td></tr>`)
    .join('')}</tbody></table>`;
}
