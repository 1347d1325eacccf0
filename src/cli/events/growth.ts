// What a growth run shows while it runs: one line per measurement, seed progress, the measured
// seconds with the worst p99 so far, and each point as it is measured.
import type { GrowthEvent } from '../../growth/run.ts';
import { formatBytes, formatCount, formatMs, formatUs, shortCount } from '../../metrics/format.ts';
import { progressText } from '../../seed/describe.ts';
import type { ProgressLine } from '../progress.ts';

export function growthEvents(progress: ProgressLine): (e: GrowthEvent) => void {
  let label = '';
  let worstP99Us = 0;
  return (e: GrowthEvent) => {
    if (e.type === 'log') progress.log(e.message);
    else if (e.type === 'item') {
      label = `[${e.index + 1}/${e.total}] ${shortCount(e.item.messages)} ${e.item.variant}`;
      worstP99Us = 0;
      progress.log(`${label}: ${e.item.state === 'reuse' ? `reusing the seed in ${e.item.database}` : `${e.item.state === 'resume' ? 'resuming the seed' : 'seeding'} into ${e.item.database}`}; ETA ${formatMs(e.etaMs)}`);
    } else if (e.type === 'seed') {
      const s = e.event;
      if (s.type === 'progress') progress.update(`${label}: seeding, ${progressText(s.progress)}`);
      else if (s.type === 'step' && s.phase === 'end') progress.log(`${label}: seed ${s.step} ${formatMs(s.ms ?? 0)}`);
      else if (s.type === 'step') progress.update(`${label}: seed ${s.step}...`);
      else if (s.type === 'log') progress.log(s.message);
    } else if (e.type === 'second') {
      if (e.phase === 'measure') worstP99Us = Math.max(worstP99Us, e.p99Us);
      progress.update(`${label}: ${e.phase} ${(e.elapsedMs / 1000).toFixed(0)}/${(e.durationMs / 1000).toFixed(0)} s  ${formatCount(e.ops)} ops/s  p99 ${formatUs(e.p99Us)} last second${e.phase === 'measure' ? `, at most ${formatUs(worstP99Us)} so far` : ''}  ETA ${formatMs(e.etaMs)}`);
    } else if (e.type === 'point') {
      const p = e.point;
      progress.log(`${label}: ${formatCount(p.throughputPerSec)} ops/s, ${p.operations.filter((o) => o.ok).map((o) => `${o.name} p50 ${formatUs(o.p50Us)} p99 ${formatUs(o.p99Us)}`).join(', ')}; indexes ${formatBytes(p.bytes.indexes)}${p.fitsSharedBuffers === false ? ' (beyond shared_buffers)' : ''}`);
    } else progress.log(`${label}: dropped once measured (--free-after)`);
  };
}
