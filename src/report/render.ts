// Rendering is a pure function from results to files: index.html, charts/*.png and summary.md
// next to results.json. Re-rendering a run folder needs nothing but its results.json.
import fs from 'node:fs';
import path from 'node:path';
import { readResults } from '../results/io.ts';
import type { Results } from '../results/types.ts';
import { benchCharts, scenarioCharts, seedCharts, type ChartSpec } from './charts.ts';
import { benchPage, scenarioPage, seedPage } from './html.ts';
import { markdownFor } from './markdown.ts';
import { renderPngs } from './png.ts';

function chartsFor(r: Results): ChartSpec[] {
  return r.kind === 'scenario' ? scenarioCharts(r) : r.kind === 'seed' ? seedCharts(r) : benchCharts(r);
}

function pageFor(r: Results, charts: ChartSpec[]): string {
  return r.kind === 'scenario' ? scenarioPage(r, charts) : r.kind === 'seed' ? seedPage(r, charts) : benchPage(r, charts);
}

/** Writes the report of a run into its folder; returns the path of index.html. */
export async function renderRun(dir: string, results: Results = readResults(dir)): Promise<string> {
  const charts = chartsFor(results);
  const pngs = await renderPngs(dir, charts);
  fs.writeFileSync(path.join(dir, 'summary.md'), markdownFor(results, pngs));
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, pageFor(results, charts));
  return file;
}
