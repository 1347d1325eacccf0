// What the other operations felt while the scenario's one-off event (retention's purge) ran: their
// latencies split into those that overlapped the event and those that did not, and the WAL the
// server wrote meanwhile. The event runs in one load worker and the other operations in all of
// them, so its span is kept in memory every worker shares, on a clock they share.
import { decodeHistogram, encodeHistogram, newHistogram, record, type Histogram } from '../metrics/histogram.ts';

/** When the event started and ended, in µs on the shared clock (0: not yet), in memory all workers see. */
export type EventSpan = BigInt64Array;

export function newEventSpan(): EventSpan {
  return new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT));
}

/**
 * This thread's monotonic µs (nowUs) on a clock every thread of the process shares:
 * performance.now() counts from each thread's own start, performance.timeOrigin says when that was.
 */
export function sharedClockUs(localUs: number): number {
  return performance.timeOrigin * 1000 + localUs;
}

/** One worker's share of the split, encoded for the merge; the event's own figures from the worker that ran it. */
export interface EncodedEventWindow {
  during: string;
  outside: string;
  ran?: { startMs: number; durationMs: number; walBytes: number | null };
}

export interface EventOutcome {
  /** When the event started, in ms since the phase began, and how long it took. */
  startMs: number;
  durationMs: number;
  /** WAL the whole server wrote from just before the event to just after it (null if unreadable). */
  walBytes: number | null;
  /** Latency of operations in flight at any moment of the event (started before its end, ended after its start). */
  during: Histogram;
  /** Latency of the phase's other operations. */
  outside: Histogram;
}

/** A connection the WAL position can be read on (the event's own). */
export interface WalReader {
  simpleQuery(sql: string): Promise<{ readonly length: number; value(i: number, j: number): unknown }>;
}

export class EventWindow {
  private readonly during = newHistogram();
  private readonly outside = newHistogram();
  private ran: EncodedEventWindow['ran'];
  private lsn: string | undefined;

  /** `phaseStartUs`: the phase's start on this thread's monotonic clock, to which times are reported relative. */
  constructor(
    private readonly span: EventSpan,
    private readonly phaseStartUs: number,
  ) {}

  /** An operation other than the event, waited for from `fromUs` (its start, or its due time) to `endUs`, on this thread's clock. */
  record(fromUs: number, endUs: number, latencyUs: number): void {
    // Whether it overlaps is known once it ends: the event has started by then, or it has not.
    const start = Number(Atomics.load(this.span, 0));
    const end = Number(Atomics.load(this.span, 1));
    const overlaps = start !== 0 && sharedClockUs(endUs) >= start && (end === 0 || sharedClockUs(fromUs) <= end);
    record(overlaps ? this.during : this.outside, latencyUs);
  }

  /** Marks the start, after reading the WAL position on the event's own connection. */
  async begin(conn: WalReader | undefined, nowUs: () => number): Promise<void> {
    this.lsn = conn ? await walLsn(conn) : undefined;
    Atomics.store(this.span, 0, BigInt(Math.round(sharedClockUs(nowUs()))));
  }

  async end(conn: WalReader | undefined, nowUs: () => number): Promise<void> {
    const endLocalUs = nowUs();
    Atomics.store(this.span, 1, BigInt(Math.round(sharedClockUs(endLocalUs))));
    let walBytes: number | null = null;
    if (conn && this.lsn) {
      try {
        const r = await conn.simpleQuery(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${this.lsn}'::pg_lsn)::bigint`);
        walBytes = Number(r.value(0, 0));
      } catch {
        walBytes = null; // the connection was lost with the event: the duration still stands
      }
    }
    const startLocalUs = Number(Atomics.load(this.span, 0)) - performance.timeOrigin * 1000;
    this.ran = { startMs: (startLocalUs - this.phaseStartUs) / 1000, durationMs: (endLocalUs - startLocalUs) / 1000, walBytes };
  }

  encode(): EncodedEventWindow {
    return { during: encodeHistogram(this.during), outside: encodeHistogram(this.outside), ran: this.ran };
  }
}

/** Every worker's split merged (HDR add), with the event's figures; undefined if the event never ran. */
export function mergeEventWindows(parts: EncodedEventWindow[]): EventOutcome | undefined {
  const ran = parts.find((p) => p.ran)?.ran;
  if (!ran) return undefined;
  const during = newHistogram();
  const outside = newHistogram();
  for (const p of parts) {
    during.add(decodeHistogram(p.during));
    outside.add(decodeHistogram(p.outside));
  }
  return { ...ran, during, outside };
}

async function walLsn(conn: WalReader): Promise<string | undefined> {
  try {
    const r = await conn.simpleQuery('SELECT pg_current_wal_lsn()::text');
    const lsn = String(r.value(0, 0));
    // An LSN is two hex numbers: it goes back into SQL text as a literal.
    return /^[0-9A-F]+\/[0-9A-F]+$/i.test(lsn) ? lsn : undefined;
  } catch {
    return undefined;
  }
}
