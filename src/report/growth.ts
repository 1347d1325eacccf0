// Growth reports: each figure against data size on log-log axes per design, with the fitted growth
// exponent; the fit extended to --project drawn dashed and labelled extrapolation; where each
// design's indexes outgrow shared_buffers and memory. A projection is never drawn, tabled or
// worded as a measurement: measured points and projected values live in separate datasets and tables.
import { formatBytes, formatCount, formatMs, formatUs, shortCount } from '../metrics/format.ts';
import { predictPowerLaw } from '../metrics/fit.ts';
import type { GrowthFit, GrowthResults } from '../results/types.ts';
import { growthMetricNames, growthMetricValue } from '../results/growth-metrics.ts';
import { axis, base, slug, type ChartSpec, type Unit } from './charts.ts';
import { variantColor } from './colors.ts';
import { esc, mdCell } from './escape.ts';
import { chartBlock, environment, header, page, swatch } from './html.ts';
import { mdCode } from './capacity.ts';

export const PROJECTION_LABEL = 'projection (extrapolation, not measured)';

interface MetricInfo {
  metric: string;
  title: string;
  unit: Unit;
  format: (x: number) => string;
}

export function metricInfo(metric: string): MetricInfo {
  if (metric === 'throughput') return { metric, title: 'throughput (operations per second)', unit: 'count', format: (x) => `${formatCount(x)}/s` };
  if (metric === 'tableBytes') return { metric, title: 'messages table on disk', unit: 'bytes', format: formatBytes };
  if (metric === 'indexBytes') return { metric, title: 'all indexes of the design on disk', unit: 'bytes', format: formatBytes };
  if (metric === 'seedSeconds') return { metric, title: 'seed time in seconds (all steps)', unit: 'count', format: (s) => formatMs(s * 1000) };
  const [p, op] = metric.split(/:(.*)/s);
  return { metric, title: `${p} latency of ${op}`, unit: 'us', format: formatUs };
}

const exponentText = (f: GrowthFit) => `${f.exponent.toFixed(2)}${f.exponentLow !== null ? ` (95%: ${f.exponentLow.toFixed(2)} to ${f.exponentHigh!.toFixed(2)})` : ''}`;

/** Points along the fit between two sizes, evenly spaced on the log axis. */
function along(f: GrowthFit, from: number, to: number, n = 12): Array<{ x: number; y: number }> {
  const out: Array<{ x: number; y: number }> = [];
  for (let i = 0; i <= n; i++) {
    const x = Math.exp(Math.log(from) + ((Math.log(to) - Math.log(from)) * i) / n);
    out.push({ x, y: predictPowerLaw(f, x).value });
  }
  return out;
}

const valueOf = growthMetricValue;

export function growthMetrics(r: GrowthResults): string[] {
  const ops = r.scenario.operations.map((o) => o.name).filter((n) => r.points.some((p) => p.operations.some((o) => o.name === n && o.ok > 0)));
  return growthMetricNames(ops);
}

export function growthCharts(r: GrowthResults): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const variants = r.config.variants.filter((v) => r.points.some((p) => p.variant === v));
  const target = r.config.projectTo;
  for (const metric of growthMetrics(r)) {
    const info = metricInfo(metric);
    const datasets: Array<Record<string, unknown>> = [];
    for (const v of variants) {
      const color = variantColor(v);
      const measured = r.points.filter((p) => p.variant === v && (valueOf(p, metric) ?? 0) > 0).sort((a, b) => a.messages - b.messages);
      const fit = r.fits.find((f) => f.variant === v && f.metric === metric);
      datasets.push({ label: `${v}: measured${fit ? `, exponent ${fit.exponent.toFixed(2)}` : ''}`, data: measured.map((p) => ({ x: p.messages, y: valueOf(p, metric)! })), borderColor: color, backgroundColor: color, pointRadius: 4, showLine: false, source: 'measured' });
      if (fit) datasets.push({ label: `${v}: fit (least squares, log-log)`, data: along(fit, fit.minMessages, fit.maxMessages), borderColor: color, backgroundColor: color, pointRadius: 0, showLine: true, borderWidth: 1.5, source: 'fit', hideInLegend: true });
      if (fit && target && target > fit.maxMessages) {
        datasets.push({ label: `${v}: ${PROJECTION_LABEL} to ${shortCount(target)}`, data: along(fit, fit.maxMessages, target), borderColor: color, backgroundColor: 'rgba(255,255,255,0)', borderDash: [6, 5], pointRadius: 0, showLine: true, borderWidth: 1.5, source: 'projected' });
        datasets.push({ label: `${v}: projected at ${shortCount(target)} (extrapolation)`, data: [{ x: target, y: predictPowerLaw(fit, target).value }], borderColor: color, backgroundColor: 'rgba(255,255,255,0)', pointRadius: 5, pointStyle: 'rectRot', showLine: false, source: 'projected', hideInLegend: true });
      }
    }
    if (metric === 'indexBytes') datasets.push(...memoryMarkers(r, datasets));
    charts.push({
      id: `growth-${slug(metric)}`,
      title: `${info.title} against data size`,
      png: `growth-${slug(metric)}.png`,
      config: {
        type: 'scatter',
        data: { datasets },
        ...base(`${info.title} against messages (log-log${target ? '; dashed: extrapolation, not measured' : ''})`, {
          x: axis('messages in the data set', 'short', { type: 'logarithmic' }),
          y: axis(info.title, info.unit, { type: 'logarithmic' }),
        }),
      },
    });
  }
  return charts;
}

/** shared_buffers and memory as horizontal lines, and where each design's fit crosses them (projected) as vertical ones. */
function memoryMarkers(r: GrowthResults, datasets: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const xs = datasets.flatMap((d) => (d.data as Array<{ x: number }>).map((p) => p.x));
  const ys = datasets.flatMap((d) => (d.data as Array<{ y: number }>).map((p) => p.y));
  const limits = [
    ...(r.memory.sharedBuffersBytes !== null ? [['shared_buffers', r.memory.sharedBuffersBytes] as const] : []),
    ['memory', r.memory.machineMemBytes] as const,
  ];
  const crossingsXs = r.crossings.filter((c) => c.source === 'projected' && c.messages !== null).map((c) => c.messages!);
  const lo = Math.min(...xs, ...crossingsXs);
  const hi = Math.max(...xs, ...crossingsXs);
  const yLo = Math.min(...ys, ...limits.map(([, b]) => b));
  const yHi = Math.max(...ys, ...limits.map(([, b]) => b));
  const out: Array<Record<string, unknown>> = limits.map(([name, bytes]) => ({ label: `${name} (${formatBytes(bytes)}, this server)`, data: [{ x: lo, y: bytes }, { x: hi, y: bytes }], borderColor: name === 'memory' ? '#333' : '#888', backgroundColor: 'rgba(255,255,255,0)', borderDash: [2, 3], pointRadius: 0, showLine: true, borderWidth: 1, source: 'reference' }));
  // One marker per size and limit, naming the designs that cross there.
  const marks = new Map<string, { messages: number; limit: string; variants: string[] }>();
  for (const c of r.crossings) {
    if (c.source !== 'projected' || c.messages === null) continue;
    const projectTo = r.config.projectTo ?? 0;
    if (c.messages > Math.max(projectTo, ...xs) * 10) continue; // far off the chart: said in the table
    const key = `${shortCount(c.messages)}|${c.limit}`;
    const m = marks.get(key) ?? { messages: c.messages, limit: c.limit, variants: [] };
    m.variants.push(c.variant);
    marks.set(key, m);
  }
  for (const m of marks.values()) {
    const color = m.variants.length === 1 ? variantColor(m.variants[0]) : '#555';
    out.push({ label: `${m.variants.join(', ')}: indexes outgrow ${m.limit} at ~${shortCount(m.messages)} (projected)`, data: [{ x: m.messages, y: yLo }, { x: m.messages, y: yHi }], borderColor: color, backgroundColor: 'rgba(255,255,255,0)', borderDash: [1, 3], pointRadius: 0, showLine: true, borderWidth: 1, source: 'projected' });
  }
  return out;
}

function crossingText(r: GrowthResults, variant: string, limit: 'shared_buffers' | 'memory'): string {
  const c = r.crossings.find((x) => x.variant === variant && x.limit === limit);
  if (!c) return '–';
  if (c.source === 'measured') return `already at ${shortCount(c.messages!)} (measured)`;
  if (c.messages === null) return 'never on this trend (projected)';
  const largest = Math.max(...r.config.sizes);
  if (c.messages > largest * 1000) return `beyond ${shortCount(largest * 1000)}, a thousand times the largest size (projected)`;
  return `~${shortCount(c.messages)} (projected)`;
}

function pointsTable(r: GrowthResults): string {
  const ops = r.scenario.operations.map((o) => o.name).filter((n) => r.points.some((p) => p.operations.some((o) => o.name === n && o.ok > 0)));
  const head = `<tr><th class="l">design</th><th>messages</th><th>seed time</th><th>ops/s</th>${ops.map((o) => `<th>${esc(o)}<br>p50 · p99</th>`).join('')}<th>messages table</th><th>indexes</th><th>indexes fit shared_buffers</th><th>indexes fit memory</th></tr>`;
  const yesNo = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : '<b>no</b>');
  const rows = [...r.points]
    .sort((a, b) => a.variant.localeCompare(b.variant) || a.messages - b.messages)
    .map((p) => `<tr data-source="measured"><td class="l">${swatch(p.variant)}</td><td>${esc(shortCount(p.messages))}</td><td>${esc(formatMs(p.seed.totalMs))}${p.seed.reused ? ' <span class="muted">(earlier seed)</span>' : ''}</td><td>${formatCount(p.throughputPerSec)}</td>${ops
      .map((o) => {
        const x = p.operations.find((y) => y.name === o);
        return x && x.ok ? `<td>${esc(formatUs(x.p50Us))} · ${esc(formatUs(x.p99Us))}</td>` : '<td>–</td>';
      })
      .join('')}<td>${esc(formatBytes(p.bytes.messagesTable))}</td><td>${esc(formatBytes(p.bytes.indexes))}</td><td>${yesNo(p.fitsSharedBuffers)}</td><td>${yesNo(p.fitsMemory)}</td></tr>`)
    .join('');
  return `<table id="growth-measured"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

function fitsTable(r: GrowthResults): string {
  const variants = r.config.variants.filter((v) => r.fits.some((f) => f.variant === v));
  const rows = growthMetrics(r)
    .map((m) => {
      const cells = variants.map((v) => {
        const f = r.fits.find((x) => x.variant === v && x.metric === m);
        return f ? `<td>${esc(exponentText(f))}${f.r2 !== null ? `<div class="muted">R² ${f.r2.toFixed(3)}</div>` : ''}</td>` : '<td class="muted">–</td>';
      });
      return `<tr><td class="l">${esc(metricInfo(m).title)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table id="growth-exponents"><thead><tr><th class="l">figure</th>${variants.map((v) => `<th>${swatch(v)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Growth exponent b of value ∝ messages<sup>b</sup>, least squares on log-log axes over the measured sizes: 0 stays flat, 1 grows in proportion to the data, 0.5 as its square root. With two sizes the exponent has no interval.</p>`;
}

function projectionTable(r: GrowthResults): string {
  if (!r.config.projectTo || !r.projections.length) return '';
  const variants = r.config.variants.filter((v) => r.projections.some((p) => p.variant === v));
  const rows = growthMetrics(r)
    .map((m) => `<tr data-source="projected"><td class="l">${esc(metricInfo(m).title)}</td>${variants
      .map((v) => {
        const p = r.projections.find((x) => x.variant === v && x.metric === m);
        const f = metricInfo(m).format;
        return p ? `<td><i>${esc(f(p.value))}</i>${p.low !== null ? `<div class="muted">95%: ${esc(f(p.low))} to ${esc(f(p.high!))}</div>` : ''}</td>` : '<td class="muted">–</td>';
      })
      .join('')}</tr>`)
    .join('');
  return `<h2 id="projection">Projection to ${esc(shortCount(r.config.projectTo))} messages: extrapolation, not measured</h2>
<p><span class="badge bad">projected</span> These values extend each fit beyond the largest measured size (${esc(shortCount(Math.max(...r.config.sizes)))}); nothing here was measured. A change of regime (indexes leaving memory, a plan that flips) would bend the curve; the interval is the fit's own 95% prediction interval, with three sizes or more.</p>
<table id="growth-projection"><thead><tr><th class="l">figure</th>${variants.map((v) => `<th>${swatch(v)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

function memoryTable(r: GrowthResults): string {
  const variants = r.config.variants.filter((v) => r.points.some((p) => p.variant === v));
  return `<table id="growth-memory"><thead><tr><th class="l">design</th><th>indexes outgrow shared_buffers (${r.memory.sharedBuffersBytes === null ? '?' : esc(formatBytes(r.memory.sharedBuffersBytes))})</th><th>indexes outgrow memory (${esc(formatBytes(r.memory.machineMemBytes))})</th></tr></thead><tbody>${variants
    .map((v) => `<tr><td class="l">${swatch(v)}</td><td>${esc(crossingText(r, v, 'shared_buffers'))}</td><td>${esc(crossingText(r, v, 'memory'))}</td></tr>`)
    .join('')}</tbody></table>`;
}

export function growthHeadline(r: GrowthResults): string {
  const ops = r.scenario.operations.map((o) => o.name);
  const main = ops.find((o) => r.fits.some((f) => f.metric === `p99:${o}`));
  if (!main) return `${r.points.length} measurements, too few sizes per design for a fit`;
  const parts = r.config.variants
    .map((v) => r.fits.find((f) => f.variant === v && f.metric === `p99:${main}`))
    .filter((f): f is GrowthFit => Boolean(f))
    .map((f) => `${f.variant} ^${f.exponent.toFixed(2)}`);
  return `p99 of ${main} grows with the data as messages^b: ${parts.join(', ')} (${shortCount(Math.min(...r.config.sizes))} to ${shortCount(Math.max(...r.config.sizes))} messages, measured)`;
}

export function growthPage(r: GrowthResults, charts: ChartSpec[]): string {
  const c = r.config;
  const shape = c.executor === 'open' ? `open loop at ${c.ratePerSec}/s` : `closed loop, ${c.concurrency} virtual users`;
  const body = `${header('growth', `${r.scenario.name}: ${c.variants.join(', ')} from ${shortCount(Math.min(...c.sizes))} to ${shortCount(Math.max(...c.sizes))} messages`, r)}
<p class="question"><b>Question.</b> How does each design hold up as the messages table grows? (${esc(r.scenario.question)})</p>
<p>The same scenario with the same parameter law at ${c.sizes.map((s) => esc(shortCount(s))).join(', ')} messages (data seed ${c.dataSeed}; users and servers grow with the messages as the seeder's laws say): ${shape}, ${c.connections} connections, ${esc(formatMs(c.durationMs))} measured after ${esc(formatMs(c.warmupMs))} of warm-up per size and design; each size in a database of its own.</p>
<h2 id="verdict-section">Growth exponents (measured)</h2>
<p class="headline"><b>${esc(growthHeadline(r))}</b></p>
${fitsTable(r)}
${projectionTable(r)}
<h2 id="memory">Indexes against memory</h2>
${memoryTable(r)}
<h2 id="charts">Against data size (log-log)</h2>
<div class="charts">${charts.map(chartBlock).join('')}</div>
<h2 id="measured">Measured, per size</h2>
${pointsTable(r)}
<details><summary>Seed steps per size and design</summary><table><thead><tr><th class="l">design</th><th>messages</th><th class="l">steps</th></tr></thead><tbody>${r.points
    .map((p) => `<tr><td class="l">${swatch(p.variant)}</td><td>${esc(shortCount(p.messages))}</td><td class="l">${p.seed.steps.map((s) => `${esc(s.name)} ${esc(formatMs(s.ms))}`).join(', ')}${p.seed.freed ? ' <span class="badge">dropped once measured</span>' : ''}</td></tr>`)
    .join('')}</tbody></table></details>
${environment(r.environment, [
    ['sizes', c.sizes.map((s) => esc(shortCount(s))).join(', ')],
    ['projection', c.projectTo ? `${esc(shortCount(c.projectTo))} messages (extrapolated)` : 'none'],
    ['dropped once measured', c.freeAfter.length ? c.freeAfter.map((s) => esc(shortCount(s))).join(', ') : 'none'],
  ], r.command)}`;
  return page(`chatbench growth ${r.scenario.name}`, body, charts);
}

export function growthMarkdown(r: GrowthResults, pngs: string[]): string {
  const metrics = growthMetrics(r);
  const variants = r.config.variants.filter((v) => r.points.some((p) => p.variant === v));
  const fitRows = metrics.map((m) => `| ${mdCell(metricInfo(m).title)} | ${variants.map((v) => {
    const f = r.fits.find((x) => x.variant === v && x.metric === m);
    return f ? mdCell(exponentText(f)) : '–';
  }).join(' | ')} |`);
  const projRows = r.config.projectTo
    ? metrics.map((m) => `| ${mdCell(metricInfo(m).title)} | ${variants.map((v) => {
        const p = r.projections.find((x) => x.variant === v && x.metric === m);
        return p ? `*${mdCell(metricInfo(m).format(p.value))}* (projected)` : '–';
      }).join(' | ')} |`)
    : [];
  const pointRows = [...r.points].sort((a, b) => a.variant.localeCompare(b.variant) || a.messages - b.messages).map((p) => `| ${mdCell(p.variant)} | ${shortCount(p.messages)} | ${formatMs(p.seed.totalMs)} | ${formatCount(p.throughputPerSec)} | ${p.operations.filter((o) => o.ok).map((o) => `${mdCell(o.name)} ${formatUs(o.p50Us)} / ${formatUs(o.p99Us)}`).join('; ')} | ${formatBytes(p.bytes.indexes)} | ${p.fitsSharedBuffers === null ? '–' : p.fitsSharedBuffers ? 'yes' : 'no'} / ${p.fitsMemory ? 'yes' : 'no'} |`);
  return `# ${mdCell(r.scenario.name)}: growth from ${shortCount(Math.min(...r.config.sizes))} to ${shortCount(Math.max(...r.config.sizes))} messages${r.partial ? ' (partial)' : ''}

**${mdCell(growthHeadline(r))}**

## Growth exponents (measured sizes)

| figure | ${variants.map(mdCell).join(' | ')} |
| --- | ${variants.map(() => '---:').join(' | ')} |
${fitRows.join('\n')}
${r.config.projectTo ? `
## Projection to ${shortCount(r.config.projectTo)} messages: extrapolation, not measured

| figure | ${variants.map(mdCell).join(' | ')} |
| --- | ${variants.map(() => '---:').join(' | ')} |
${projRows.join('\n')}
` : ''}
## Indexes against memory

| design | outgrow shared_buffers | outgrow memory |
| --- | --- | --- |
${variants.map((v) => `| ${mdCell(v)} | ${crossingText(r, v, 'shared_buffers')} | ${crossingText(r, v, 'memory')} |`).join('\n')}

## Measured

| design | messages | seed time | ops/s | p50 / p99 | indexes | fit shared_buffers / memory |
| --- | ---: | ---: | ---: | --- | ---: | --- |
${pointRows.join('\n')}

${pngs.map((p) => `![${p}](${p})`).join('\n\n')}

Reproduce: \`${mdCode(r.command)}\` · ${mdCell(r.environment.versions.postgres.split(' ').slice(0, 2).join(' '))} · ${r.environment.machine.cores} cores
`;
}

export function growthTerminal(r: GrowthResults): string {
  const lines = [growthHeadline(r)];
  for (const p of [...r.points].sort((a, b) => a.variant.localeCompare(b.variant) || a.messages - b.messages)) {
    lines.push(`  ${p.variant.padEnd(26)} ${shortCount(p.messages).padStart(6)}  ${formatCount(p.throughputPerSec).padStart(7)} ops/s  ${p.operations.filter((o) => o.ok).map((o) => `${o.name} p99 ${formatUs(o.p99Us)}`).join(', ')}  indexes ${formatBytes(p.bytes.indexes)}`);
  }
  if (r.config.projectTo) {
    for (const v of r.config.variants) {
      const ps = r.projections.filter((p) => p.variant === v && p.metric.startsWith('p99:'));
      if (ps.length) lines.push(`  ${v} at ${shortCount(r.config.projectTo)} (projected, not measured): ${ps.map((p) => `${p.metric.slice(4)} p99 ~${formatUs(p.value)}`).join(', ')}`);
    }
  }
  return lines.join('\n');
}
