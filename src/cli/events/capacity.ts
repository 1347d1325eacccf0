// What a capacity search shows while it runs: each step as it starts, its seconds with the worst
// p99 so far (a bound: no part of a mixture has more than 1% above its own p99), each verdict.
import type { CapacityEvent } from '../../capacity/run.ts';
import { formatCount, formatMs, formatRate as rate, formatUs } from '../../metrics/format.ts';
import { describeCheck } from '../../metrics/slo.ts';
import type { ProgressLine } from '../progress.ts';

export function capacityEvents(progress: ProgressLine): (e: CapacityEvent) => void {
  let stepLabel = '';
  // The step's p99 so far is at most its worst second's (no part of a mixture has more than 1% above its own p99).
  let worstP99Us = 0;
  return (e: CapacityEvent) => {
    if (e.type === 'log') progress.log(e.message);
    else if (e.type === 'step') {
      stepLabel = `${e.variant} (${e.design + 1}/${e.designs}) step ${e.step} ${e.next.phase}${e.next.attempt ? ', again for longer' : ''} at ${rate(e.next.ratePerSec)}/s`;
      worstP99Us = 0;
      progress.update(`${stepLabel}: starting  ETA ${formatMs(e.etaMs)}`, true);
    } else if (e.type === 'second') {
      if (e.phase === 'measure') worstP99Us = Math.max(worstP99Us, e.p99Us);
      progress.update(`${stepLabel}: ${e.phase} ${(e.elapsedMs / 1000).toFixed(0)}/${(e.durationMs / 1000).toFixed(0)} s  ${formatCount(e.ops)} ops/s  p99 ${formatUs(e.p99Us)} last second${e.phase === 'measure' ? `, at most ${formatUs(worstP99Us)} so far` : ''}  errors ${e.errors}  ETA ${formatMs(e.etaMs)}`);
    } else if (e.type === 'step-done') {
      const s = e.step;
      const verdict = e.again ? 'not sure (a band straddles a limit), measuring again for longer' : s.pass ? 'met' : 'missed';
      progress.log(`${e.variant} ${rate(s.ratePerSec)}/s: ${verdict}; achieved ${formatCount(s.facts.achievedPerSec)}/s; ${s.checks.map(describeCheck).join('; ')}${!s.pass && s.reasons.length ? ` [${s.reasons.join('; ')}]` : ''}`);
    } else {
      progress.log(`${e.variant}: ${e.result.capacityPerSec === null ? 'no rate met the objective' : `carries ${rate(e.result.capacityPerSec)} ops/s`}${e.result.why ? `; ${e.result.why}` : ''}`);
    }
  };
}
