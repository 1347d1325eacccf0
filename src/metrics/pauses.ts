// The client's own pauses while it measures: every garbage collection V8 runs on this thread, with
// its duration from the engine's own accounting (not a timer's lateness, which would count the
// harness's deliberate waits and the timers' millisecond granularity as stalls). A leaf module.
import { PerformanceObserver } from 'node:perf_hooks';
import { encodeHistogram, newHistogram, record } from './histogram.ts';

export interface EncodedPauses {
  /** Every pause, in µs (compressed HDR histogram). */
  histogram: string;
  count: number;
  totalUs: number;
}

export class PauseMonitor {
  private readonly hist = newHistogram();
  private count = 0;
  private totalUs = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const us = e.duration * 1000;
      record(this.hist, us);
      this.count++;
      this.totalUs += us;
    }
  });
  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): EncodedPauses {
    // Entries still buffered are delivered to the callback first.
    for (const e of this.observer.takeRecords()) {
      record(this.hist, e.duration * 1000);
      this.count++;
      this.totalUs += e.duration * 1000;
    }
    this.observer.disconnect();
    return { histogram: encodeHistogram(this.hist), count: this.count, totalUs: Math.round(this.totalUs) };
  }
}
