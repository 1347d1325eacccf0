// Rendering is a pure function from results to files: index.html, charts/*.png and summary.md
// next to results.json. Re-rendering a run folder needs nothing but its results.json.
import fs from 'node:fs';
import path from 'node:path';
import { readResults } from '../results/io.ts';
import type { Results } from '../results/types.ts';
import { benchCharts, scenarioCharts, seedCharts, type ChartSpec } from './charts.ts';
import { benchPage, scenarioPage, seedPage } from './html.ts';
import { markdownFor } from './markdown.ts';
import { capacityCharts, capacityMarkdown, capacityPage } from './capacity.ts';
import { growthCharts, growthMarkdown, growthPage } from './growth.ts';
import { renderPngs } from './png.ts';

export function chartsFor(r: Results): ChartSpec[] {
  switch (r.kind) {
    case 'scenario':
      return scenarioCharts(r);
    case 'seed':
      return seedCharts(r);
    case 'capacity':
      return capacityCharts(r);
    case 'growth':
      return growthCharts(r);
    default:
      return benchCharts(r);
  }
}

export function pageFor(r: Results, charts: ChartSpec[]): string {
  switch (r.kind) {
    case 'scenario':
      return scenarioPage(r, charts);
    case 'seed':
      return seedPage(r, charts);
    case 'capacity':
      return capacityPage(r, charts);
    case 'growth':
      return growthPage(r, charts);
    default:
      return benchPage(r, charts);
  }
}

function summaryFor(r: Results, pngs: string[]): string {
  return r.kind === 'capacity' ? capacityMarkdown(r, pngs) : r.kind === 'growth' ? growthMarkdown(r, pngs) : markdownFor(r, pngs);
}

/** Writes the report of a run into its folder; returns the path of index.html. */
export async function renderRun(dir: string, results: Results = readResults(dir)): Promise<string> {
  const charts = chartsFor(results);
  const pngs = await renderPngs(dir, charts);
  fs.writeFileSync(path.join(dir, 'summary.md'), summaryFor(results, pngs));
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, pageFor(results, charts));
  return file;
}
