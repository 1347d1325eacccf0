// Runs in two places: inlined in every report page (the browser draws the charts) and imported by
// png.ts (charts/*.png). Plain JavaScript with no imports, so both can use it as it is.
// It turns the JSON chart configurations of charts.ts into Chart.js configurations: tick labels
// from each axis's unit, and the shading of the warm-up period on timelines.

export function formatUs(us) {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${+(us / 1000).toPrecision(3)} ms`;
  return `${+(us / 1e6).toPrecision(3)} s`;
}

export function formatBytes(b) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${+v.toPrecision(3)} ${units[i]}`;
}

/** 1000000 -> "1M", 2500 -> "2.5K": counts on log axes (data sizes). */
export function formatShort(n) {
  for (const [suffix, size] of [['B', 1e9], ['M', 1e6], ['K', 1e3]]) {
    if (Math.abs(n) >= size) return `${+(n / size).toPrecision(3)}${suffix}`;
  }
  return `${+n.toPrecision(3)}`;
}

const NINES = { 0: '0%', 1: '90%', 2: '99%', 3: '99.9%', 4: '99.99%', 4.5: 'max' };

function tickFormatter(unit) {
  if (unit === 'us') return (v) => formatUs(v);
  if (unit === 'ms') return (v) => `${v} ms`;
  if (unit === 'bytes') return (v) => formatBytes(v);
  if (unit === 'nines') return (v) => NINES[v] ?? '';
  if (unit === 'ratio') return (v) => `${v}×`;
  if (unit === 'percent') return (v) => `${v}%`;
  if (unit === 'short') return (v) => formatShort(v);
  return undefined;
}

const warmupShade = {
  id: 'warmupShade',
  beforeDraw(chart) {
    if (!chart.options.warmupShade) return;
    const x = chart.scales.x;
    const area = chart.chartArea;
    if (!x || !area || x.min >= 0) return;
    const right = Math.min(area.right, x.getPixelForValue(0));
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = 'rgba(128, 128, 128, 0.15)';
    ctx.fillRect(area.left, area.top, Math.max(0, right - area.left), area.bottom - area.top);
    ctx.restore();
  },
};

/** A Chart.js configuration from a JSON one (the input is not modified). */
export function prepareChart(json) {
  const config = JSON.parse(JSON.stringify(json));
  for (const scale of Object.values(config.options?.scales ?? {})) {
    const fmt = tickFormatter(scale.unit);
    if (fmt) {
      scale.ticks = { ...(scale.ticks ?? {}), callback: fmt };
      if (scale.unit === 'nines') scale.ticks.stepSize = 0.5;
    }
    if (scale.type === 'logarithmic' && fmt) {
      // Keep log axes readable: label 1, 2 and 5 times powers of ten (all ticks if that leaves fewer than two).
      const inner = fmt;
      const nice = (v) => {
        const m = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
        return [1, 2, 5].some((k) => Math.abs(m - k) < 1e-6);
      };
      scale.ticks.callback = (v, _i, ticks) => {
        const labelled = ticks.filter((t) => t.value > 0 && nice(t.value)).length;
        return labelled >= 2 ? (nice(v) ? inner(v) : '') : inner(v);
      };
    }
  }
  const tooltipUnit = config.options?.scales?.y?.unit;
  const tf = tickFormatter(tooltipUnit);
  if (tf) {
    config.options.plugins = config.options.plugins ?? {};
    config.options.plugins.tooltip = { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${tf(ctx.parsed.y)}` } };
  }
  // Datasets that only draw (a fit's line, a projected point) can stay out of the legend.
  if (config.data?.datasets?.some((d) => d.hideInLegend)) {
    config.options.plugins = config.options.plugins ?? {};
    const legend = (config.options.plugins.legend = config.options.plugins.legend ?? {});
    legend.labels = { ...(legend.labels ?? {}), filter: (item, data) => !data.datasets[item.datasetIndex]?.hideInLegend };
  }
  config.plugins = [...(config.plugins ?? []), warmupShade];
  return config;
}
