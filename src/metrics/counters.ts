// Per-operation counters and histograms, with the identity every run obeys:
//   attempted = ok + failed + dropped, and failures by SQLSTATE add up to failed.
import { newHistogram, record, type Histogram } from './histogram.ts';

export interface ErrorCount {
  count: number;
  name: string;
  example: string;
}

export class OperationStats {
  attempted = 0;
  ok = 0;
  failed = 0;
  dropped = 0;
  readonly errors = new Map<string, ErrorCount>();
  readonly latency: Histogram = newHistogram();
  readonly service: Histogram = newHistogram();
  readonly lag: Histogram = newHistogram();

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
}
