// `report list`: the runs under reports/, newest first, with their headline figures.
import fs from 'node:fs';
import path from 'node:path';
import { formatCount, formatUs } from '../metrics/format.ts';
import { readResults } from '../results/io.ts';
import type { Results } from '../results/types.ts';
import { capacityVerdict } from './capacity.ts';
import { growthHeadline } from './growth.ts';
import { table } from './terminal.ts';

export interface RunSummary {
  dir: string;
  runId: string;
  kind: Results['kind'];
  name: string;
  startedAt: string;
  variants: string[];
  partial: boolean;
  headline: string;
}

function headline(r: Results): string {
  if (r.kind === 'scenario') {
    return r.variants
      .map((v) => {
        const worst = v.operations.reduce((a, o) => (o.latencyUs.p99 > a ? o.latencyUs.p99 : a), 0);
        return `${v.variant} ${formatCount(v.throughputPerSec)} ops/s, worst p99 ${formatUs(worst)}`;
      })
      .join('; ');
  }
  if (r.kind === 'capacity') return capacityVerdict(r).headline;
  if (r.kind === 'growth') return growthHeadline(r);
  if (r.kind === 'seed') return r.variants.map((v) => `${v.variant} ${formatCount(v.rows.messages ?? 0)} msgs${v.facts.loadRowsPerSec ? ` at ${formatCount(v.facts.loadRowsPerSec)} rows/s` : ''}`).join('; ');
  return r.comparisons.filter((c) => c.target !== undefined).map((c) => `${c.name} ${c.ratio.toFixed(2)}×`).join('; ');
}

export function listRuns(reportsDir: string): { runs: RunSummary[]; unreadable: string[] } {
  const runs: RunSummary[] = [];
  const unreadable: string[] = [];
  if (!fs.existsSync(reportsDir)) return { runs, unreadable };
  for (const entry of fs.readdirSync(reportsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(reportsDir, entry.name);
    if (!fs.existsSync(path.join(dir, 'results.json'))) continue;
    try {
      const r = readResults(dir);
      runs.push({
        dir,
        runId: r.runId,
        kind: r.kind,
        name: r.kind === 'bench' ? r.bench : r.kind === 'seed' ? 'seed' : r.scenario.name,
        startedAt: r.startedAt,
        variants: r.kind === 'bench' ? [] : r.kind === 'growth' ? r.config.variants : r.variants.map((v) => v.variant),
        partial: r.partial,
        headline: headline(r),
      });
    } catch {
      unreadable.push(dir);
    }
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return { runs, unreadable };
}

/** The runs as a terminal table, newest first as listRuns sorts them; folders relative to the current directory. */
export function runsTable(runs: RunSummary[]): string {
  const rows = runs.map((r) => [r.startedAt.replace('T', ' ').slice(0, 19), r.kind, r.name, r.variants.join(',') || '–', `${r.partial ? '(partial) ' : ''}${r.headline}`, path.relative(process.cwd(), r.dir)]);
  return table(['started', 'kind', 'name', 'variants', 'headline', 'folder'], rows, 6);
}
