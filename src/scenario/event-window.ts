// What the other operations felt while the scenario's one-off event (retention's purge) ran: their
// latencies split into those that overlapped the event and those that did not, and the WAL the
// server wrote meanwhile.
import type pg from 'pg';
import { newHistogram, record, type Histogram } from '../metrics/histogram.ts';

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

export class EventWindow {
  private startUs: number | undefined;
  private endUs: number | undefined;
  private lsn: string | undefined;
  private readonly during = newHistogram();
  private readonly outside = newHistogram();

  /** `phaseStartUs`: the phase's start on the monotonic clock, to which times are reported relative. */
  constructor(private readonly phaseStartUs: number) {}

  /** An operation other than the event, waited for from `fromUs` (its start, or its due time) to `endUs`. */
  record(fromUs: number, endUs: number, latencyUs: number): void {
    // Whether it overlaps is known once it ends: the event has started by then, or it has not.
    const overlaps = this.startUs !== undefined && endUs >= this.startUs && (this.endUs === undefined || fromUs <= this.endUs);
    record(overlaps ? this.during : this.outside, latencyUs);
  }

  /** Marks the start, after reading the WAL position on the event's own connection. */
  async begin(client: pg.ClientBase | undefined, nowUs: () => number): Promise<void> {
    this.lsn = client ? await walLsn(client) : undefined;
    this.startUs = nowUs();
  }

  async end(client: pg.ClientBase | undefined, nowUs: () => number): Promise<EventOutcome> {
    this.endUs = nowUs();
    let walBytes: number | null = null;
    if (client && this.lsn) {
      try {
        const r = await client.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS bytes', [this.lsn]);
        walBytes = Number(r.rows[0].bytes);
      } catch {
        walBytes = null; // the connection was lost with the event: the duration still stands
      }
    }
    const startUs = this.startUs ?? this.endUs;
    return { startMs: (startUs - this.phaseStartUs) / 1000, durationMs: (this.endUs - startUs) / 1000, walBytes, during: this.during, outside: this.outside };
  }
}

async function walLsn(client: pg.ClientBase): Promise<string | undefined> {
  try {
    return (await client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn as string;
  } catch {
    return undefined;
  }
}
