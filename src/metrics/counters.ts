// Per-operation counters and histograms, with the identity every run obeys:
//   attempted = ok + failed + dropped, and failures by SQLSTATE add up to failed.
// Stats travel between threads encoded, and merge exactly (counts add, histograms add).
import { decodeHistogram, encodeHistogram, newHistogram, record, type Histogram } from './histogram.ts';

export interface ErrorCount {
  count: number;
  name: string;
  example: string;
}

/** OperationStats as plain data (histograms compressed), to send between threads or keep per round. */
export interface EncodedStats {
  attempted: number;
  ok: number;
  failed: number;
  dropped: number;
  errors: Array<[string, ErrorCount]>;
  latency: string;
  service: string;
  lag: string;
  harnessLag: string;
}

export class OperationStats {
  attempted = 0;
  ok = 0;
  failed = 0;
  dropped = 0;
  readonly errors = new Map<string, ErrorCount>();
  /** From the intended start (open loop) or the send (closed loop). */
  readonly latency: Histogram = newHistogram();
  /** From the send to the answer: the wire and the server. */
  readonly service: Histogram = newHistogram();
  /** Open loop: how late operations started, whatever the reason (pgbench's schedule lag). */
  readonly lag: Histogram = newHistogram();
  /** Open loop: how late operations started that had a free connection when due: the harness's own lateness. */
  readonly harnessLag: Histogram = newHistogram();

  succeeded(latencyUs: number, serviceUs: number, lagUs?: number): void {
    this.attempted++;
    this.ok++;
    record(this.latency, latencyUs);
    record(this.service, serviceUs);
    if (lagUs !== undefined) record(this.lag, lagUs);
  }

  /** A failure is still a latency: the user waited for the error. */
  failedWith(code: string, name: string, message: string, latencyUs: number, serviceUs: number, lagUs?: number): void {
    this.attempted++;
    this.failed++;
    const e = this.errors.get(code);
    if (e) e.count++;
    else this.errors.set(code, { count: 1, name, example: message.slice(0, 300) });
    record(this.latency, latencyUs);
    record(this.service, serviceUs);
    if (lagUs !== undefined) record(this.lag, lagUs);
  }

  /** Scheduled but never started (open loop: too late, or the run ended first). */
  droppedOne(): void {
    this.attempted++;
    this.dropped++;
  }

  identityHolds(): boolean {
    let byCode = 0;
    for (const e of this.errors.values()) byCode += e.count;
    return this.attempted === this.ok + this.failed + this.dropped && byCode === this.failed;
  }

  encode(): EncodedStats {
    return {
      attempted: this.attempted,
      ok: this.ok,
      failed: this.failed,
      dropped: this.dropped,
      errors: [...this.errors.entries()].map(([k, e]) => [k, { ...e }]),
      latency: encodeHistogram(this.latency),
      service: encodeHistogram(this.service),
      lag: encodeHistogram(this.lag),
      harnessLag: encodeHistogram(this.harnessLag),
    };
  }

  /** Adds another run's (or thread's) counts and histograms to these: exact, in any order. */
  add(e: EncodedStats): this {
    this.attempted += e.attempted;
    this.ok += e.ok;
    this.failed += e.failed;
    this.dropped += e.dropped;
    for (const [code, err] of e.errors) {
      const mine = this.errors.get(code);
      if (mine) mine.count += err.count;
      else this.errors.set(code, { ...err });
    }
    this.latency.add(decodeHistogram(e.latency));
    this.service.add(decodeHistogram(e.service));
    this.lag.add(decodeHistogram(e.lag));
    this.harnessLag.add(decodeHistogram(e.harnessLag));
    return this;
  }

  static merge(parts: EncodedStats[]): OperationStats {
    const s = new OperationStats();
    for (const p of parts) s.add(p);
    return s;
  }
}
