// The figures a growth run fits against data size, read from a measured point: one list and one
// reading for the engine that fits them and the report that draws them.
import type { GrowthPoint } from './types.ts';

/** 'throughput', 'p50:<op>', 'p99:<op>' for each operation, 'tableBytes', 'indexBytes', 'seedSeconds'. */
export function growthMetricNames(operations: readonly string[]): string[] {
  return ['throughput', ...operations.flatMap((o) => [`p50:${o}`, `p99:${o}`]), 'tableBytes', 'indexBytes', 'seedSeconds'];
}

/** The value of a figure at a point; undefined when it was not measured there (an operation that never ran). */
export function growthMetricValue(p: GrowthPoint, metric: string): number | undefined {
  if (metric === 'throughput') return p.throughputPerSec;
  if (metric === 'tableBytes') return p.bytes.messagesTable;
  if (metric === 'indexBytes') return p.bytes.indexes;
  if (metric === 'seedSeconds') return p.seed.totalMs / 1000;
  const m = /^(p50|p99):(.+)$/s.exec(metric);
  if (!m) return undefined;
  const o = p.operations.find((x) => x.name === m[2]);
  if (!o || o.ok === 0) return undefined;
  return m[1] === 'p50' ? o.p50Us : o.p99Us;
}
