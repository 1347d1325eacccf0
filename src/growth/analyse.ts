// From measured growth points to fits, projections and memory crossings. Every projected value is
// typed `source: 'projected'`; measured values only ever come from points.
import { crossingX, fitPowerLaw, FitError, predictPowerLaw } from '../metrics/fit.ts';
import type { GrowthFit, GrowthPoint, GrowthProjection, MemoryCrossing } from '../results/types.ts';
import { growthMetricNames, growthMetricValue } from '../results/growth-metrics.ts';

export function metricsOf(points: GrowthPoint[]): string[] {
  return growthMetricNames([...new Set(points.flatMap((p) => p.operations.map((o) => o.name)))]);
}

export function fitGrowth(points: GrowthPoint[]): GrowthFit[] {
  const fits: GrowthFit[] = [];
  const variants = [...new Set(points.map((p) => p.variant))];
  for (const variant of variants) {
    const mine = points.filter((p) => p.variant === variant);
    for (const metric of metricsOf(points)) {
      const xy = mine.map((p) => ({ x: p.messages, y: growthMetricValue(p, metric) ?? 0 })).filter((q) => q.y > 0);
      try {
        const f = fitPowerLaw(xy);
        fits.push({ variant, metric, ...f, minMessages: Math.min(...xy.map((q) => q.x)), maxMessages: Math.max(...xy.map((q) => q.x)) });
      } catch (e) {
        if (!(e instanceof FitError)) throw e; // fewer than two sizes measured: no fit
      }
    }
  }
  return fits;
}

export function project(fits: GrowthFit[], messages: number): GrowthProjection[] {
  return fits.map((f) => {
    const p = predictPowerLaw(f, messages);
    return { source: 'projected', variant: f.variant, metric: f.metric, messages, value: p.value, low: p.low, high: p.high };
  });
}

/** Where each design's indexes outgrow shared_buffers and memory: seen at a measured size, or projected by the fit. */
export function memoryCrossings(points: GrowthPoint[], fits: GrowthFit[], limits: { sharedBuffersBytes: number | null; machineMemBytes: number }): MemoryCrossing[] {
  const out: MemoryCrossing[] = [];
  for (const variant of [...new Set(points.map((p) => p.variant))]) {
    const mine = points.filter((p) => p.variant === variant).sort((a, b) => a.messages - b.messages);
    for (const [limit, bytes] of [['shared_buffers', limits.sharedBuffersBytes], ['memory', limits.machineMemBytes]] as const) {
      if (bytes === null) continue;
      const seen = mine.find((p) => p.bytes.indexes > bytes);
      if (seen) {
        out.push({ variant, limit, limitBytes: bytes, source: 'measured', messages: seen.messages });
        continue;
      }
      const f = fits.find((x) => x.variant === variant && x.metric === 'indexBytes');
      const at = f ? crossingX(f, bytes) : null;
      out.push({ variant, limit, limitBytes: bytes, source: 'projected', messages: at === null ? null : Math.round(at) });
    }
  }
  return out;
}

/** shared_buffers as the server reports it in results ("6GB", "128MB", "8kB") -> bytes. */
export function settingBytes(text: string | undefined): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)$/.exec(String(text ?? '').trim());
  if (!m) return null;
  const unit: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
  return Math.round(Number(m[1]) * unit[m[2]]);
}
