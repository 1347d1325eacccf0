// Chart.js configurations, as plain JSON (no functions), so the same chart is drawn in the page by
// the browser and into charts/*.png here. Axes carry a `unit` the two renderers turn into tick labels.
import type { BenchResults, ScenarioResults, SeedResults } from '../results/types.ts';
import { variantColor } from './colors.ts';

export type Unit = 'us' | 'ms' | 'bytes' | 'nines' | 'count' | 'ratio' | 'percent' | 'short';

export interface ChartSpec {
  id: string;
  title: string;
  /** PNG file name under charts/, for the main charts. */
  png?: string;
  /** Canvas size in the page (default 540 x 300). */
  size?: { width: number; height: number };
  config: Record<string, unknown>;
}

/** Percentile p (0-100) as "nines": 90 -> 1, 99 -> 2, 99.9 -> 3; max is drawn at 4.5. */
export function nines(p: number): number {
  if (p >= 100) return 4.5;
  return Math.min(4.5, -Math.log10(1 - p / 100));
}

export function axis(title: string, unit: Unit, extra: Record<string, unknown> = {}) {
  return { title: { display: true, text: title }, unit, ...extra };
}

export function base(title: string, scales: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales,
      ...extra,
    },
  };
}

export const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').toLowerCase();

export function scenarioCharts(r: ScenarioResults): ChartSpec[] {
  const charts: ChartSpec[] = [];
  for (const op of r.scenario.operations) {
    const datasets = r.variants
      .map((v) => ({ v, o: v.operations.find((x) => x.name === op.name) }))
      .filter((e) => e.o && e.o.spectrum.length)
      .map(({ v, o }) => ({
        label: v.variant,
        data: o!.spectrum.map(([p, us]) => ({ x: nines(p), y: Math.max(1, us) })),
        borderColor: variantColor(v.variant),
        backgroundColor: variantColor(v.variant),
        pointRadius: 2,
        showLine: true,
        tension: 0,
      }));
    if (!datasets.length) continue;
    charts.push({
      id: `spectrum-${slug(op.name)}`,
      title: `${op.name}: latency by percentile`,
      png: `latency-${slug(op.name)}.png`,
      config: {
        type: 'scatter',
        data: { datasets },
        ...base(`${op.name}: latency by percentile (HDR spectrum)`, {
          x: axis('percentile', 'nines', { type: 'linear', min: 0, max: 4.5 }),
          y: axis('latency', 'us', { type: 'logarithmic' }),
        }),
      },
    });
  }
  const ops = r.scenario.operations.map((o) => o.name).filter((n) => r.variants.some((v) => v.operations.find((o) => o.name === n && o.ok > 0)));
  for (const [pct, key] of [['p50', 'p50'], ['p95', 'p95'], ['p99', 'p99'], ['p99.9', 'p999']] as const) {
    charts.push({
      id: `bars-${key}`,
      title: `${pct} latency by operation`,
      png: key === 'p99' ? 'p99-by-operation.png' : key === 'p50' ? 'p50-by-operation.png' : undefined,
      config: {
        type: 'bar',
        data: {
          labels: ops,
          datasets: r.variants.map((v) => ({
            label: v.variant,
            data: ops.map((n) => v.operations.find((o) => o.name === n)?.latencyUs[key] ?? null),
            backgroundColor: variantColor(v.variant),
          })),
        },
        ...base(`${pct} latency by operation`, { x: { title: { display: true, text: 'operation' } }, y: axis(`${pct} latency`, 'us', { type: 'logarithmic' }) }),
      },
    });
  }
  const timeline = (metric: 'ops' | 'p99Us', title: string, unit: Unit, png: string) => ({
    id: `timeline-${metric}`,
    title,
    png,
    config: {
      type: 'line',
      data: {
        datasets: r.variants.map((v) => ({
          label: v.variant,
          data: v.timeline.map((p) => ({ x: p.t + 0.5, y: metric === 'ops' ? p.ops : Math.max(1, p.p99Us) })),
          borderColor: variantColor(v.variant),
          backgroundColor: variantColor(v.variant),
          pointRadius: 0,
          borderWidth: 1.5,
        })),
      },
      ...base(`${title} (warm-up shaded, before 0 s)`, {
        x: axis('seconds since the measured phase began', 'count', { type: 'linear' }),
        y: axis(title, unit, metric === 'ops' ? { type: 'linear', beginAtZero: true } : { type: 'logarithmic' }),
      }, { warmupShade: true }),
    },
  });
  if (r.variants.some((v) => v.timeline.length)) {
    charts.push(timeline('ops', 'operations per second', 'count', 'throughput.png'));
    charts.push(timeline('p99Us', 'p99 latency per second', 'us', 'p99-over-time.png'));
  }
  if (r.variants.some((v) => v.timeline.some((p) => p.errors > 0))) {
    charts.push({
      id: 'timeline-errors',
      title: 'failed operations per second',
      png: 'errors-over-time.png',
      config: {
        type: 'line',
        data: { datasets: r.variants.map((v) => ({ label: v.variant, data: v.timeline.map((p) => ({ x: p.t + 0.5, y: p.errors })), borderColor: variantColor(v.variant), backgroundColor: variantColor(v.variant), pointRadius: 0, borderWidth: 1.5 })) },
        ...base('failed operations per second (outages, timeouts, conflicts)', { x: axis('seconds since the measured phase began', 'count', { type: 'linear' }), y: axis('failed per second', 'count', { type: 'linear', beginAtZero: true }) }),
      },
    });
  }
  // A soak's questions: does chatbench's memory stay flat, and does the run hold the same connections?
  const sampled = r.variants.filter((v) => (v.resources?.length ?? 0) >= 3);
  if (sampled.length) {
    const resources = (id: string, title: string, unit: Unit, png: string, pick: (x: NonNullable<typeof sampled[0]['resources']>[0]) => number | null) => ({
      id,
      title,
      png,
      config: {
        type: 'line',
        data: { datasets: sampled.map((v) => ({ label: v.variant, data: v.resources!.map((x) => ({ x: x.t, y: pick(x) })), borderColor: variantColor(v.variant), backgroundColor: variantColor(v.variant), pointRadius: 1, borderWidth: 1.5, spanGaps: false })) },
        ...base(title, { x: axis('seconds since the measured phase began', 'count', { type: 'linear' }), y: axis(title, unit, { type: 'linear', beginAtZero: true }) }),
      },
    });
    charts.push(resources('resources-rss', 'chatbench memory (RSS)', 'bytes', 'memory-over-time.png', (x) => x.rssBytes));
    charts.push(resources('resources-connections', 'server connections held by the run', 'count', 'connections-over-time.png', (x) => x.serverConnections));
  }
  const withEvent = r.variants.filter((v) => v.event);
  if (withEvent.length) {
    const label = (v: (typeof withEvent)[number]) => (v.event!.retentionMethod ? `${v.variant} (${v.event!.retentionMethod.used})` : v.variant);
    charts.push({
      id: 'event-p99',
      title: `other operations' p99 during ${withEvent[0].event!.operation} and outside it`,
      png: 'event-p99.png',
      config: {
        type: 'bar',
        data: {
          labels: withEvent.map(label),
          datasets: [
            { label: `during ${withEvent[0].event!.operation}`, data: withEvent.map((v) => (v.event!.during.count ? Math.max(1, v.event!.during.latencyUs.p99) : null)), backgroundColor: '#e15759' },
            { label: 'outside it', data: withEvent.map((v) => Math.max(1, v.event!.outside.latencyUs.p99)), backgroundColor: '#4e79a7' },
          ],
        },
        ...base(`other operations' p99 during ${withEvent[0].event!.operation} and outside it`, { x: { title: { display: true, text: 'variant (method)' } }, y: axis('p99 latency', 'us', { type: 'logarithmic' }) }),
      },
    });
    charts.push({
      id: 'event-duration',
      title: `${withEvent[0].event!.operation}: time taken`,
      png: 'event-duration.png',
      config: {
        type: 'bar',
        data: { labels: withEvent.map(label), datasets: [{ label: 'time taken', data: withEvent.map((v) => Math.max(1, v.event!.durationMs * 1000)), backgroundColor: withEvent.map((v) => variantColor(v.variant)) }] },
        ...base(`${withEvent[0].event!.operation}: time taken`, { x: { title: { display: true, text: 'variant (method)' } }, y: axis('time', 'us', { type: 'logarithmic' }) }),
      },
    });
  }
  charts.push(storageChart(r.variants.map((v) => ({ variant: v.variant, tableBytes: v.server.tableBytes, indexBytes: v.server.indexBytes }))));
  return charts.filter((c) => c.id !== 'storage' || r.variants.some((v) => Object.keys(v.server.tableBytes).length));
}

/** Messages heap, its time index, and all other indexes, per variant: BRIN next to B-tree. */
function storageChart(rows: Array<{ variant: string; tableBytes: Record<string, number>; indexBytes: Record<string, number> }>): ChartSpec {
  const series = [
    { label: 'messages table', pick: (r: (typeof rows)[number]) => r.tableBytes.messages ?? 0, color: '#4e79a7' },
    { label: 'messages created_at index', pick: (r: (typeof rows)[number]) => r.indexBytes.messages_created_at_idx ?? 0, color: '#e15759' },
    { label: 'other messages indexes', pick: (r: (typeof rows)[number]) => Object.entries(r.indexBytes).filter(([k]) => k.startsWith('messages_') && k !== 'messages_created_at_idx').reduce((a, [, b]) => a + b, 0), color: '#f28e2b' },
    { label: 'everything else', pick: (r: (typeof rows)[number]) => Object.entries(r.tableBytes).filter(([k]) => k !== 'messages').reduce((a, [, b]) => a + b, 0) + Object.entries(r.indexBytes).filter(([k]) => !k.startsWith('messages_')).reduce((a, [, b]) => a + b, 0), color: '#bab0ac' },
  ];
  return {
    id: 'storage',
    title: 'bytes on disk by variant',
    png: 'storage.png',
    config: {
      type: 'bar',
      data: { labels: rows.map((r) => r.variant), datasets: series.map((s) => ({ label: s.label, data: rows.map(s.pick), backgroundColor: s.color })) },
      ...base('bytes on disk (log scale: BRIN next to B-tree)', { x: { title: { display: true, text: 'variant' } }, y: axis('bytes', 'bytes', { type: 'logarithmic' }) }),
    },
  };
}

const STEP_COLORS: Record<string, string> = {
  create: '#bab0ac',
  load: '#4e79a7',
  ddl: '#9c755f',
  indexes: '#f28e2b',
  constraints: '#ff9da7',
  attach: '#ff9da7',
  verify: '#76b7b2',
  'verify-check': '#76b7b2',
  analyze: '#edc948',
  'fk-add': '#e15759',
  'foreign-keys': '#e15759',
  'fk-parent': '#e15759',
  reconcile: '#59a14f',
  sequences: '#b07aa1',
  vacuum: '#17becf',
  late: '#9c755f',
  sizes: '#bab0ac',
};
const stepColor = (s: string, i: number) => STEP_COLORS[s] ?? ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948'][i % 6];

/** Per-second rates from cumulative samples, averaged over `window` samples. */
function sampleRates(samples: NonNullable<SeedResults['timeline']>['samples'], window = 5): Array<{ t: number; rowsPerSec: number; mbPerSec: number; walMbPerSec: number | null; rssBytes: number }> {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[Math.max(0, i - window)];
    const b = samples[i];
    const s = Math.max(0.001, (b.t - a.t) / 1000);
    out.push({ t: b.t / 1000, rowsPerSec: (b.rows - a.rows) / s, mbPerSec: (b.bytes - a.bytes) / 1e6 / s, walMbPerSec: a.walBytes === null || b.walBytes === null ? null : (b.walBytes - a.walBytes) / 1e6 / s, rssBytes: b.rssBytes });
  }
  return out;
}

export function seedCharts(r: SeedResults): ChartSpec[] {
  const stepNames = [...new Set(r.variants.flatMap((v) => v.steps.map((s) => s.name)))];
  const charts: ChartSpec[] = [];
  const tl = r.timeline;
  if (tl && tl.bars.length) {
    const steps = [...new Set(tl.bars.map((b) => b.step))];
    charts.push({
      id: 'seed-timeline',
      title: 'what ran when, on which connection',
      png: 'seed-timeline.png',
      size: { width: 1100, height: Math.max(260, 60 + tl.lanes.length * 34) },
      config: {
        type: 'bar',
        data: {
          labels: tl.lanes,
          datasets: steps.map((step, i) => ({
            label: step,
            data: tl.bars.filter((b) => b.step === step).map((b) => ({ y: b.lane, x: [b.startMs / 1000, Math.max(b.endMs, b.startMs + 50) / 1000], label: b.label })),
            backgroundColor: stepColor(step, i),
            borderColor: '#ffffff',
            borderWidth: 1,
            borderSkipped: false,
            grouped: false,
            barPercentage: 0.8,
          })),
        },
        ...base('timeline: load passes (each feeds its own COPY connections), then post-load tasks per connection', { x: axis('seconds since the seed started', 'count', { type: 'linear', min: 0 }), y: { title: { display: true, text: 'connection' } } }, { indexAxis: 'y' }),
      },
    });
    const rates = sampleRates(tl.samples);
    charts.push({
      id: 'seed-rates',
      title: 'rows/s, COPY MB/s and WAL MB/s over time',
      png: 'seed-rates.png',
      size: { width: 1100, height: 320 },
      config: {
        type: 'line',
        data: {
          datasets: [
            { label: 'rows/s loaded', data: rates.map((p) => ({ x: p.t, y: Math.round(p.rowsPerSec) })), borderColor: '#4e79a7', backgroundColor: '#4e79a7', pointRadius: 0, borderWidth: 1.5, yAxisID: 'y' },
            { label: 'COPY MB/s sent', data: rates.map((p) => ({ x: p.t, y: +p.mbPerSec.toFixed(2) })), borderColor: '#f28e2b', backgroundColor: '#f28e2b', pointRadius: 0, borderWidth: 1.5, yAxisID: 'mb' },
            { label: 'WAL MB/s written', data: rates.map((p) => ({ x: p.t, y: p.walMbPerSec === null ? null : +p.walMbPerSec.toFixed(2) })), borderColor: '#e15759', backgroundColor: '#e15759', pointRadius: 0, borderWidth: 1.5, yAxisID: 'mb' },
          ],
        },
        ...base('rows/s, COPY MB/s and WAL MB/s (5-second averages)', {
          x: axis('seconds since the seed started', 'count', { type: 'linear', min: 0 }),
          y: axis('rows/s', 'count', { type: 'linear', beginAtZero: true, position: 'left' }),
          mb: axis('MB/s', 'count', { type: 'linear', beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } }),
        }),
      },
    });
    charts.push({
      id: 'seed-memory',
      title: 'chatbench memory (RSS) during the seed',
      config: {
        type: 'line',
        data: { datasets: [{ label: 'RSS of the seeding process', data: tl.samples.map((p) => ({ x: p.t / 1000, y: p.rssBytes })), borderColor: '#59a14f', backgroundColor: '#59a14f', pointRadius: 0, borderWidth: 1.5 }] },
        ...base('chatbench memory (RSS)', { x: axis('seconds since the seed started', 'count', { type: 'linear', min: 0 }), y: axis('RSS', 'bytes', { type: 'linear', beginAtZero: true }) }),
      },
    });
  }
  charts.push({
    id: 'seed-steps',
    title: 'seed work by step',
    config: {
      type: 'bar',
      data: {
        labels: r.variants.map((v) => v.variant),
        datasets: stepNames.map((s, i) => ({ label: s, data: r.variants.map((v) => { const x = v.steps.find((y) => y.name === s); return ((x?.workMs ?? x?.ms) ?? 0) / 1000; }), backgroundColor: stepColor(s, i) })),
      },
      ...base('work by step (seconds on all connections; steps overlap in time)', { x: { stacked: true }, y: axis('seconds', 'count', { stacked: true }) }),
    },
  });
  charts.push(
    storageChart(r.variants.map((v) => ({
      variant: v.variant,
      tableBytes: Object.fromEntries(Object.entries(v.facts.tables).map(([t, f]) => [t, f.tableBytes])),
      indexBytes: Object.assign({}, ...Object.values(v.facts.tables).map((f) => f.indexes)),
    }))),
  );
  return charts;
}

export function benchCharts(r: BenchResults): ChartSpec[] {
  if (!r.comparisons.length) return [];
  return [
    {
      id: 'bench-ratios',
      title: 'chatbench / peer',
      png: 'bench-ratios.png',
      config: {
        type: 'bar',
        data: {
          labels: r.comparisons.map((c) => c.name),
          datasets: [
            { label: 'ratio (chatbench / peer, higher is better; grey: a diagnostic with no target)', data: r.comparisons.map((c) => c.ratio), backgroundColor: r.comparisons.map((c) => (c.met === false ? '#e15759' : c.met === undefined ? '#bab0ac' : '#59a14f')) },
            { label: 'target', data: r.comparisons.map((c) => c.target ?? null), backgroundColor: '#bab0ac' },
          ],
        },
        ...base('chatbench against its peers (ratio, 1 = as fast)', { y: axis('ratio', 'ratio', { beginAtZero: true }) }),
      },
    },
  ];
}
