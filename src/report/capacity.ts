// Capacity reports: the verdict ("brin-weekly carries 2,900 ops/s at p99 < 50 ms; btree-monthly
// 2,300, 0.79×"), latency against offered load per design (the hockey stick), achieved against
// offered throughput, every step, and the server evidence of the last good and first bad steps.
import { formatBytes, formatCount, formatMs, formatRate, formatUs } from '../metrics/format.ts';
import { describeCheck, formatObjective, formatTerm } from '../metrics/slo.ts';
import type { CapacityDesignResult, CapacityResults, CapacityStep } from '../results/types.ts';
import { axis, base, slug, type ChartSpec } from './charts.ts';
import { variantColor } from './colors.ts';
import { esc, mdCell } from './escape.ts';
import { chartBlock, environment, header, page, swatch } from './html.ts';

export interface CapacityVerdictRow {
  variant: string;
  capacityPerSec: number | null;
  firstBadPerSec: number | null;
  /** capacity / the best design's capacity. */
  ratio: number | null;
  /** The two designs' brackets [capacity, first bad) overlap: the order is not established. */
  withinResolution: boolean;
  limitedBy: CapacityDesignResult['limitedBy'];
  why: string;
  /** "2,900 ops/s", "at least 100,000 ops/s", "below 1.57 ops/s". */
  carries: string;
}

export interface CapacityVerdict {
  headline: string;
  rows: CapacityVerdictRow[];
}

const rate = formatRate;

function carries(d: CapacityDesignResult): string {
  if (d.capacityPerSec === null) return d.firstBadPerSec === null ? 'not measured' : `below ${rate(d.firstBadPerSec)} ops/s`;
  if (d.firstBadPerSec === null) return `at least ${rate(d.capacityPerSec)} ops/s`;
  return `${rate(d.capacityPerSec)} ops/s`;
}

const overlap = (a: CapacityDesignResult, b: CapacityDesignResult) => {
  const lo = (d: CapacityDesignResult) => d.capacityPerSec ?? 0;
  const hi = (d: CapacityDesignResult) => d.firstBadPerSec ?? Infinity;
  return lo(a) < hi(b) && lo(b) < hi(a);
};

export function capacityVerdict(r: CapacityResults): CapacityVerdict {
  const sorted = [...r.variants].sort((a, b) => (b.capacityPerSec ?? -1) - (a.capacityPerSec ?? -1));
  const best = sorted[0];
  const rows = sorted.map((d) => ({
    variant: d.variant,
    capacityPerSec: d.capacityPerSec,
    firstBadPerSec: d.firstBadPerSec,
    ratio: best?.capacityPerSec && d.capacityPerSec !== null ? d.capacityPerSec / best.capacityPerSec : null,
    withinResolution: d !== best && best !== undefined && overlap(d, best),
    limitedBy: d.limitedBy,
    why: d.why,
    carries: carries(d),
  }));
  const objective = formatObjective(r.config.slo);
  const note = (x: CapacityVerdictRow) => [x.limitedBy === 'harness' ? 'chatbench was the limit' : '', x.withinResolution ? 'within the search resolution' : ''].filter(Boolean).join(', ');
  const headline = rows.length
    ? `${rows[0].variant} carries ${rows[0].carries} at ${objective}${note(rows[0]) ? ` (${note(rows[0])})` : ''}` +
      rows
        .slice(1)
        .map((x) => `; ${x.variant} ${x.carries.replace(' ops/s', '')}${x.ratio !== null ? `, ${x.ratio.toFixed(2)}×` : ''}${note(x) ? ` (${note(x)})` : ''}`)
        .join('') +
      ` (${r.config.connections} connections, open loop)`
    : 'no design was measured';
  return { headline, rows };
}

/** Decided steps in rate order: the points of the curves (superseded and interrupted ones left out). */
const points = (d: CapacityDesignResult) => d.steps.filter((s) => s.status === 'decided').sort((a, b) => a.ratePerSec - b.ratePerSec);

function limitLine(label: string, limitUs: number, xs: number[]) {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return { label, data: [{ x: lo, y: limitUs }, { x: hi, y: limitUs }], borderColor: '#555', backgroundColor: 'rgba(255,255,255,0)', borderDash: [6, 4], pointRadius: 0, showLine: true, borderWidth: 1.5 };
}

export function capacityCharts(r: CapacityResults): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const xs = r.variants.flatMap((d) => points(d).map((s) => s.ratePerSec));
  if (!xs.length) return charts;
  const offered = axis('offered load (operations per second)', 'count', { type: 'linear', beginAtZero: true });
  // One hockey stick per objective term (and operation): every design on one chart, the limit dashed.
  const keys = new Map<string, { objective: string; operation: string | null; percentile: number; limitUs: number; inclusive: boolean }>();
  for (const d of r.variants) for (const s of points(d)) for (const c of s.checks) keys.set(`${c.objective}|${c.operation}`, c);
  const missedKeys = new Set(r.variants.flatMap((d) => points(d).flatMap((s) => s.checks.filter((c) => !c.met).map((c) => `${c.objective}|${c.operation}`))));
  const shown = [...keys.entries()].filter(([k, c]) => !c.objective.includes('(*)') || missedKeys.has(k)).slice(0, 8);
  for (const [key, c] of shown) {
    const what = formatTerm({ percentile: c.percentile, operation: c.operation, limitUs: c.limitUs, inclusive: c.inclusive });
    const name = slug(`p${c.percentile}-${c.operation ?? 'all'}`);
    charts.push({
      id: `capacity-${name}`,
      title: `${what}: against offered load`,
      png: `capacity-${name}.png`,
      config: {
        type: 'scatter',
        data: {
          datasets: [
            ...r.variants.map((d) => ({
              label: d.variant,
              data: points(d).map((s) => {
                const x = s.checks.find((y) => `${y.objective}|${y.operation}` === key);
                return { x: s.ratePerSec, y: Math.max(1, x?.valueUs ?? 0) };
              }),
              borderColor: variantColor(d.variant),
              backgroundColor: variantColor(d.variant),
              showLine: true,
              pointRadius: 3,
              tension: 0,
            })),
            limitLine(`objective: ${what}`, c.limitUs, xs),
          ],
        },
        ...base(`p${c.percentile}${c.operation === null ? '' : ` of ${c.operation}`} against offered load (the hockey stick)`, { x: offered, y: axis(`p${c.percentile} latency`, 'us', { type: 'logarithmic' }) }),
      },
    });
  }
  // Per design: the percentile spectrum (all operations together) against offered load.
  const spectrum = [['p50', 'p50', '#59a14f'], ['p90', 'p90', '#edc948'], ['p99', 'p99', '#f28e2b'], ['p99.9', 'p999', '#e15759']] as const;
  for (const d of r.variants) {
    const ps = points(d);
    if (!ps.length) continue;
    const allTerm = r.config.slo.find((t) => t.operation === null);
    charts.push({
      id: `capacity-percentiles-${slug(d.variant)}`,
      title: `${d.variant}: latency percentiles against offered load`,
      png: `capacity-percentiles-${slug(d.variant)}.png`,
      config: {
        type: 'scatter',
        data: {
          datasets: [
            ...spectrum.map(([label, k, color]) => ({ label, data: ps.map((s) => ({ x: s.ratePerSec, y: Math.max(1, s.facts.latencyUs[k]) })), borderColor: color, backgroundColor: color, showLine: true, pointRadius: 3, tension: 0 })),
            ...(allTerm ? [limitLine(`objective: ${formatTerm(allTerm)}`, allTerm.limitUs, ps.map((s) => s.ratePerSec))] : []),
          ],
        },
        ...base(`${d.variant}: latency of all operations against offered load`, { x: offered, y: axis('latency from the scheduled start', 'us', { type: 'logarithmic' }) }),
      },
    });
  }
  const maxX = Math.max(...xs);
  charts.push({
    id: 'capacity-throughput',
    title: 'achieved against offered throughput',
    png: 'capacity-throughput.png',
    config: {
      type: 'scatter',
      data: {
        datasets: [
          ...r.variants.map((d) => ({ label: d.variant, data: points(d).map((s) => ({ x: s.ratePerSec, y: s.facts.achievedPerSec })), borderColor: variantColor(d.variant), backgroundColor: variantColor(d.variant), showLine: true, pointRadius: 3, tension: 0 })),
          { label: 'achieved = offered', data: [{ x: 0, y: 0 }, { x: maxX, y: maxX }], borderColor: '#999', backgroundColor: 'rgba(255,255,255,0)', borderDash: [4, 4], pointRadius: 0, showLine: true, borderWidth: 1 },
        ],
      },
      ...base('operations completed per second against operations offered per second', { x: offered, y: axis('achieved (completed per second)', 'count', { type: 'linear', beginAtZero: true }) }),
    },
  });
  return charts;
}

const pct = (x: number) => `${Number((x * 100).toPrecision(2))}%`;

/** Text inside a Markdown code span is shown as it is: only a backtick would end it. */
export const mdCode = (s: string) => s.replace(/`/g, "'");

function stepRows(d: CapacityDesignResult): string {
  return d.steps
    .map((s) => {
      const status = s.status === 'decided' ? (s.pass ? '<span class="badge good">met</span>' : '<span class="badge bad">missed</span>') : `<span class="badge">${esc(s.status)}</span>`;
      return `<tr><td>${rate(s.ratePerSec)}</td><td class="l">${esc(s.phase)}${s.attempt ? ` (longer: ${esc(formatMs(s.durationMs))})` : ''}</td><td>${status}${s.certain ? '' : ' <span class="muted">(close)</span>'}</td><td>${formatCount(s.facts.achievedPerSec)}</td><td>${esc(formatUs(s.facts.latencyUs.p50))}</td><td>${esc(formatUs(s.facts.latencyUs.p99))}</td><td>${s.facts.serverExecMeanUs === null ? '–' : esc(formatUs(s.facts.serverExecMeanUs))}</td><td>${pct(s.facts.errorRate)}</td><td>${formatCount(s.facts.dropped)}</td><td class="l">${esc(s.checks.map(describeCheck).join('; '))}${s.reasons.length ? `<div class="muted">${esc(s.reasons.join('; '))}</div>` : ''}</td></tr>`;
    })
    .join('');
}

/** The evidence rows shown for the last good and the first bad step of a design, side by side. */
export function evidenceRows(good: CapacityStep | undefined, bad: CapacityStep | undefined): Array<[string, string, string]> {
  const f = (s: CapacityStep | undefined, pick: (s: CapacityStep) => string) => (s ? pick(s) : '–');
  const rows: Array<[string, (s: CapacityStep) => string]> = [
    ['offered', (s) => `${rate(s.ratePerSec)}/s`],
    ['achieved', (s) => `${formatCount(s.facts.achievedPerSec)}/s`],
    ['latency p50 · p99 · p99.9', (s) => `${formatUs(s.facts.latencyUs.p50)} · ${formatUs(s.facts.latencyUs.p99)} · ${formatUs(s.facts.latencyUs.p999)}`],
    ['service time p50 · p99 (send to answer)', (s) => `${formatUs(s.facts.serviceUs.p50)} · ${formatUs(s.facts.serviceUs.p99)}`],
    ['server time per operation (pg_stat_statements mean)', (s) => (s.facts.serverExecMeanUs === null ? '–' : formatUs(s.facts.serverExecMeanUs))],
    ['start lag p99 (queueing + harness)', (s) => (s.facts.lagP99Us === null ? '–' : formatUs(s.facts.lagP99Us))],
    ["chatbench's own start lateness p99 (a free connection, started late)", (s) => (s.facts.harnessLagP99Us === null ? '–' : formatUs(s.facts.harnessLagP99Us))],
    ["chatbench's GC pauses p99 · time in GC", (s) => (s.facts.gcPauseP99Us === null ? '–' : `${formatUs(s.facts.gcPauseP99Us)} · ${(s.facts.gcPauseMsPerSec ?? 0).toFixed(1)} ms/s`)],
    ['chatbench CPU (every thread)', (s) => (s.facts.clientCpuCores === null ? '–' : `${(s.facts.clientCpuCores * 100).toFixed(0)}% of a core (${s.facts.workers} load thread${s.facts.workers > 1 ? 's' : ''})`)],
    ["chatbench's floor p50 · p99 (SELECT 1, before the step)", (s) => (s.facts.harnessFloorUs === null ? '–' : `${formatUs(s.facts.harnessFloorUs.p50)} · ${formatUs(s.facts.harnessFloorUs.p99)}`)],
    ['buffer hit ratio', (s) => (s.result.server.hitRatio === null ? '–' : `${(s.result.server.hitRatio * 100).toFixed(2)}%`)],
    ['WAL per second', (s) => `${formatBytes(s.result.server.walBytes / Math.max(0.001, s.result.durationMs / 1000))}/s`],
    ['temp bytes', (s) => formatBytes(s.result.server.tempBytes)],
    ['deadlocks · rollbacks', (s) => `${s.result.server.deadlocks} · ${formatCount(s.result.server.rollbacks)}`],
    ['errors', (s) => (Object.keys(s.facts.errors).length ? Object.entries(s.facts.errors).map(([code, e]) => `${code} ${e.name} ×${e.count}`).join(', ') : 'none')],
    ['dropped (not started in time)', (s) => `${formatCount(s.facts.dropped)} (${pct(s.facts.dropRate)})`],
  ];
  return rows.map(([label, pick]) => [label, f(good, pick), f(bad, pick)]);
}

function lastGoodFirstBad(d: CapacityDesignResult): { good?: CapacityStep; bad?: CapacityStep } {
  const decided = d.steps.filter((s) => s.status === 'decided');
  return { good: decided.find((s) => s.pass && s.ratePerSec === d.capacityPerSec), bad: decided.find((s) => !s.pass && s.ratePerSec === d.firstBadPerSec) };
}

export function capacityPage(r: CapacityResults, charts: ChartSpec[]): string {
  const v = capacityVerdict(r);
  const c = r.config;
  const objective = formatObjective(c.slo);
  const verdictTable = `<table id="capacity-verdict"><thead><tr><th class="l">design</th><th>carries</th><th>first rate that failed</th><th>ratio to the best</th><th class="l">limited by</th><th class="l">why</th></tr></thead><tbody>${v.rows
    .map((x) => `<tr data-variant="${esc(x.variant)}"><td class="l">${swatch(x.variant)}</td><td><b>${esc(x.carries)}</b></td><td>${x.firstBadPerSec === null ? '–' : `${rate(x.firstBadPerSec)}/s`}</td><td>${x.ratio === null ? '–' : `<span class="${x.withinResolution ? 'noise' : ''}">${x.ratio.toFixed(2)}×</span>`}</td><td class="l">${x.limitedBy === 'harness' ? '<span class="badge bad">chatbench (the harness)</span>' : esc(x.limitedBy === 'server' ? 'the design' : x.limitedBy ?? '–')}</td><td class="l">${esc(x.why)}</td></tr>`)
    .join('')}</tbody></table>
<p class="muted">A design carries a rate when its steps met ${esc(objective)}, errors stayed within ${pct(c.maxErrorRate)} and operations not started in time within ${pct(c.maxDropRate)} (plus one per connection still queued when a step stops). The search doubles the rate from ${rate(c.startRatePerSec)}/s, then bisects between the last good and the first bad rate until they are within ${pct(c.resolution)}; a step whose percentile's 95% band straddles a limit is measured again for twice as long. Italic ratios: the two designs' ranges [carried, first failed) overlap.</p>`;
  const byId = (prefix: string) => charts.filter((x) => x.id.startsWith(prefix));
  const evidence = r.variants
    .map((d) => {
      const { good, bad } = lastGoodFirstBad(d);
      if (!good && !bad) return '';
      return `<h3>${swatch(d.variant)}: last good ${good ? `${rate(good.ratePerSec)}/s` : '–'} and first bad ${bad ? `${rate(bad.ratePerSec)}/s` : '–'}</h3><table class="evidence" data-variant="${esc(d.variant)}"><thead><tr><th class="l">figure</th><th>last good</th><th>first bad</th></tr></thead><tbody>${evidenceRows(good, bad)
        .map(([k, a, b]) => `<tr><td class="l">${esc(k)}</td><td>${esc(a)}</td><td>${esc(b)}</td></tr>`)
        .join('')}</tbody></table>`;
    })
    .join('');
  const steps = r.variants
    .map((d) => `<details${d === r.variants[0] ? ' open' : ''}><summary>${swatch(d.variant)}: ${d.steps.length} steps, ended ${esc(d.end)}</summary><table><thead><tr><th>offered/s</th><th class="l">phase</th><th>verdict</th><th>achieved/s</th><th>p50</th><th>p99</th><th>server time</th><th>errors</th><th>dropped</th><th class="l">objective</th></tr></thead><tbody>${stepRows(d)}</tbody></table></details>`)
    .join('');
  const seed = r.seed;
  const body = `${header('capacity', `${r.scenario.name}: capacity at ${objective}`, r)}
<p class="question"><b>Question.</b> How much load does each design carry before it breaks ${esc(objective)}? (${esc(r.scenario.question)})</p>
<p>Open loop (${esc(c.arrivals)} arrivals, latency from the scheduled start), ${c.connections} connections per design, steps of ${esc(formatMs(c.stepMs))} after ${esc(formatMs(c.warmupMs))} of warm-up${c.maxLagMs ? `, operations later than ${esc(formatMs(c.maxLagMs))} dropped` : ''}; parameters seeded with ${c.seed}${seed ? `; data: ${formatCount(seed.messages)} messages, seed ${seed.seed}` : ''}.</p>
<h2 id="verdict-section">Verdict</h2>
<p class="headline"><b>${esc(v.headline)}</b></p>
${verdictTable}
<h2 id="hockey-stick">Latency against offered load</h2>
<div class="charts">${[...byId('capacity-').filter((x) => !x.id.startsWith('capacity-percentiles-') && x.id !== 'capacity-throughput'), ...byId('capacity-percentiles-')].map(chartBlock).join('')}</div>
<h2 id="throughput">Achieved against offered throughput</h2>
<div class="charts">${byId('capacity-throughput').map(chartBlock).join('')}</div>
<h2 id="evidence">Server evidence: last good and first bad step</h2>
${evidence}
<h2 id="steps">Every step</h2>
${steps}
${environment(r.environment, [
    ['designs', r.variants.map((d) => swatch(d.variant)).join(', ')],
    ['objective', `<code>${esc(c.slo.map((t) => t.text).join(','))}</code> (${esc(objective)})`],
    ['budgets', `errors ${pct(c.maxErrorRate)}, dropped ${pct(c.maxDropRate)}`],
    ['search', `from ${rate(c.startRatePerSec)}/s, at most ${rate(c.maxRatePerSec)}/s, resolution ${pct(c.resolution)}, at most ${c.maxSteps} steps`],
  ], r.command)}`;
  return page(`chatbench capacity ${r.scenario.name}`, body, charts);
}

export function capacityMarkdown(r: CapacityResults, pngs: string[]): string {
  const v = capacityVerdict(r);
  const rows = v.rows.map((x) => `| ${mdCell(x.variant)} | ${mdCell(x.carries)} | ${x.firstBadPerSec === null ? '–' : `${rate(x.firstBadPerSec)}/s`} | ${x.ratio === null ? '–' : `${x.ratio.toFixed(2)}×${x.withinResolution ? ' (overlap)' : ''}`} | ${mdCell(x.limitedBy ?? '–')} | ${mdCell(x.why)} |`);
  return `# ${mdCell(r.scenario.name)}: capacity at ${mdCell(formatObjective(r.config.slo))}${r.partial ? ' (partial)' : ''}

**${mdCell(v.headline)}**

| design | carries | first failed | ratio | limited by | why |
| --- | ---: | ---: | ---: | --- | --- |
${rows.join('\n')}

Open loop, ${r.config.connections} connections, steps of ${formatMs(r.config.stepMs)} after ${formatMs(r.config.warmupMs)} of warm-up${r.seed ? `, ${formatCount(r.seed.messages)} messages` : ''}; run \`${mdCell(r.runId)}\`.

${pngs.map((p) => `![${p}](${p})`).join('\n\n')}

Reproduce: \`${mdCode(r.command)}\` · ${mdCell(r.environment.versions.postgres.split(' ').slice(0, 2).join(' '))} · ${r.environment.machine.cores} cores
`;
}

export function capacityTerminal(r: CapacityResults): string {
  const v = capacityVerdict(r);
  return [v.headline, ...v.rows.map((x) => `  ${x.variant}: ${x.carries}${x.firstBadPerSec !== null ? `; ${x.why}` : x.why ? `; ${x.why}` : ''}`)].join('\n');
}

// ---- compare -------------------------------------------------------------------------------------

export interface CapacityCompareRow {
  variant: string;
  baseline: { run: string; capacityPerSec: number | null; firstBadPerSec: number | null };
  runs: Array<{ run: string; capacityPerSec: number | null; firstBadPerSec: number | null; change: number | null; regression: boolean; note: string }>;
}

export interface CapacityComparison {
  scenario: string;
  objective: string;
  threshold: number;
  runs: Array<{ runId: string; startedAt: string; postgres: string; commit: string | null }>;
  rows: CapacityCompareRow[];
  regressions: number;
}

/**
 * Capacity of each design against the baseline run. A fall counts as a regression when it is
 * beyond the threshold and beyond the search's own noise: the new run failed at a rate the
 * baseline carried (its first bad rate is at or below the baseline's capacity).
 */
export function compareCapacity(runs: CapacityResults[], threshold: number): CapacityComparison {
  const [b, ...others] = runs;
  const rows: CapacityCompareRow[] = [];
  for (const d of b.variants) {
    const cells = others.flatMap((run) => {
      const x = run.variants.find((y) => y.variant === d.variant);
      if (!x) return [];
      const change = d.capacityPerSec && x.capacityPerSec !== null ? x.capacityPerSec / d.capacityPerSec - 1 : null;
      const failedWhereBaselineCarried = d.capacityPerSec !== null && x.firstBadPerSec !== null && x.firstBadPerSec <= d.capacityPerSec;
      const fell = change === null ? d.capacityPerSec !== null && x.capacityPerSec === null : change < -threshold;
      const regression = fell && failedWhereBaselineCarried;
      const note = fell && !failedWhereBaselineCarried ? 'lower, but within the search resolution (it never failed at a rate the baseline carried)' : x.limitedBy === 'harness' ? 'chatbench was the limit in this run' : '';
      return [{ run: run.runId, capacityPerSec: x.capacityPerSec, firstBadPerSec: x.firstBadPerSec, change, regression, note }];
    });
    if (cells.length) rows.push({ variant: d.variant, baseline: { run: b.runId, capacityPerSec: d.capacityPerSec, firstBadPerSec: d.firstBadPerSec }, runs: cells });
  }
  return {
    scenario: b.scenario.name,
    objective: formatObjective(b.config.slo),
    threshold,
    runs: runs.map((r) => ({ runId: r.runId, startedAt: r.startedAt, postgres: r.environment.versions.postgres, commit: r.environment.versions.gitCommit })),
    rows,
    regressions: rows.reduce((a, r) => a + r.runs.filter((x) => x.regression).length, 0),
  };
}

const signed = (d: number | null) => (d === null ? '–' : `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`);
const cap = (x: number | null) => (x === null ? 'none' : `${rate(x)}/s`);

export function capacityCompareCharts(c: CapacityComparison): ChartSpec[] {
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2'];
  return [
    {
      id: 'compare-capacity',
      title: 'capacity by run',
      png: 'compare-capacity.png',
      config: {
        type: 'bar',
        data: {
          labels: c.rows.map((r) => r.variant),
          datasets: c.runs.map((run, i) => ({ label: run.runId, data: c.rows.map((r) => (i === 0 ? r.baseline.capacityPerSec : r.runs.find((x) => x.run === run.runId)?.capacityPerSec ?? null)), backgroundColor: colors[i % colors.length] })),
        },
        ...base(`capacity at ${c.objective} by run (first run is the baseline)`, { x: { title: { display: true, text: 'design' } }, y: axis('operations per second', 'count', { beginAtZero: true }) }),
      },
    },
  ];
}

export function capacityCompareTable(c: CapacityComparison): { header: string[]; rows: string[][] } {
  return {
    header: ['design', 'run', 'capacity', 'first failed', 'change', ''],
    rows: c.rows.flatMap((r) => [
      [r.variant, `${r.baseline.run} (baseline)`, cap(r.baseline.capacityPerSec), cap(r.baseline.firstBadPerSec), '', ''],
      ...r.runs.map((x) => [r.variant, x.run, cap(x.capacityPerSec), cap(x.firstBadPerSec), signed(x.change), x.regression ? 'REGRESSION' : x.note]),
    ]),
  };
}

export function capacityComparePage(c: CapacityComparison, runs: CapacityResults[], charts: ChartSpec[]): string {
  const t = capacityCompareTable(c);
  const html = `<h1>${esc(c.scenario)}: capacity at ${esc(c.objective)}, ${c.runs.length} runs compared${c.regressions ? ` <span class="badge bad">${c.regressions} regression(s)</span>` : ' <span class="badge good">no regression</span>'}</h1>
<p class="muted">A capacity that falls by more than ${(c.threshold * 100).toFixed(0)}% counts as a regression only when the new run failed at a rate the baseline carried: a smaller fall inside the search's resolution is noise.</p>
<table id="comparison"><thead><tr>${t.header.map((h, i) => `<th${i < 2 ? ' class="l"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((row) => `<tr${row[5] === 'REGRESSION' ? ' class="regression"' : ''}>${row.map((x, i) => `<td${i < 2 || i === 5 ? ' class="l"' : ''}>${i === 5 && x === 'REGRESSION' ? '<span class="badge bad">regression</span>' : esc(x)}</td>`).join('')}</tr>`).join('')}</tbody></table>
<div class="charts">${charts.map(chartBlock).join('')}</div>
${environment(runs[0].environment, [], runs.map((r) => r.command).join(' ; '))}`;
  return page(`chatbench compare capacity ${c.scenario}`, html, charts);
}

export function capacityCompareMarkdown(c: CapacityComparison, pngs: string[]): string {
  const t = capacityCompareTable(c);
  return `# ${mdCell(c.scenario)}: capacity at ${mdCell(c.objective)}, ${c.runs.length} runs compared (${c.regressions} regressions)

| ${t.header.map(mdCell).join(' | ')} |
| ${t.header.map(() => '---').join(' | ')} |
${t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n')}

${pngs.map((p) => `![${p}](${p})`).join('\n\n')}
`;
}

