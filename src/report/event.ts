// The scenario's one-off event (retention's purge) per variant, as the report, the summary and the
// terminal show it: how long it took, the WAL it wrote, and the other operations' p99 while it ran
// against their p99 the rest of the time.
import { formatBytes, formatCount, formatMs, formatUs } from '../metrics/format.ts';
import type { ScenarioResults } from '../results/types.ts';

export interface EventRow {
  variant: string;
  operation: string;
  /** "detach-concurrently", or "delete (asked: detach)" where the variant has no partitions to detach. */
  method: string | null;
  ok: boolean;
  startMs: number;
  durationMs: number;
  walBytes: number | null;
  duringCount: number;
  duringP99Us: number;
  outsideP99Us: number;
  /** p99 in the event over p99 outside it (null without operations on one side). */
  ratio: number | null;
}

export function eventRows(r: ScenarioResults): EventRow[] {
  return r.variants.flatMap((v) => {
    const e = v.event;
    if (!e) return [];
    const m = e.retentionMethod;
    const during = e.during.count ? e.during.latencyUs.p99 : 0;
    const outside = e.outside.count ? e.outside.latencyUs.p99 : 0;
    return [{
      variant: v.variant,
      operation: e.operation,
      method: m ? (m.used === m.requested ? m.used : `${m.used} (asked: ${m.requested})`) : null,
      ok: e.ok,
      startMs: e.startMs,
      durationMs: e.durationMs,
      walBytes: e.walBytes,
      duringCount: e.during.count,
      duringP99Us: during,
      outsideP99Us: outside,
      ratio: e.during.count && e.outside.count && outside > 0 ? during / outside : null,
    }];
  });
}

export const EVENT_HEADER = ['variant', 'event', 'method', 'took', 'WAL', 'others in it', 'p99 in it', 'p99 outside', 'ratio'];

/** The row's cells as text, in EVENT_HEADER's order. */
export function eventCells(e: EventRow): string[] {
  return [
    e.variant,
    `${e.operation}${e.ok ? '' : ' (failed)'}`,
    e.method ?? '–',
    formatMs(e.durationMs),
    e.walBytes === null ? '–' : formatBytes(e.walBytes),
    formatCount(e.duringCount),
    e.duringCount ? formatUs(e.duringP99Us) : '–',
    formatUs(e.outsideP99Us),
    e.ratio === null ? '–' : `${e.ratio.toFixed(2)}x`,
  ];
}
