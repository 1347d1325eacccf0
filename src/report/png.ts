// charts/*.png: the main charts drawn server-side with Chart.js on @napi-rs/canvas (prebuilt
// binaries from npm, no native build), for pasting into issues and docs.
import fs from 'node:fs';
import path from 'node:path';
import { prepareChart } from './chart-runtime.js';
import type { ChartSpec } from './charts.ts';


export const PNG_WIDTH = 1000;
export const PNG_HEIGHT = 500;

/** Renders the specs that name a PNG into dir/charts/; returns the files written (relative to dir). */
export async function renderPngs(dir: string, charts: ChartSpec[]): Promise<string[]> {
  // Loaded on first use: most commands never draw a PNG.
  const { createCanvas } = await import('@napi-rs/canvas');
  const { Chart, registerables } = await import('chart.js');
  Chart.register(...registerables);
  const out: string[] = [];
  const chartsDir = path.join(dir, 'charts');
  fs.mkdirSync(chartsDir, { recursive: true });
  for (const spec of charts.filter((c) => c.png)) {
    // Tall charts (a timeline with many connections) keep their proportions.
    const height = spec.size ? Math.max(PNG_HEIGHT, Math.round((spec.size.height * PNG_WIDTH) / spec.size.width)) : PNG_HEIGHT;
    const canvas = createCanvas(PNG_WIDTH, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, PNG_WIDTH, height);
    const chart = new Chart(ctx as never, prepareChart(spec.config) as never);
    try {
      fs.writeFileSync(path.join(chartsDir, spec.png!), await canvas.encode('png'));
      out.push(path.join('charts', spec.png!));
    } finally {
      chart.destroy();
    }
  }
  return out;
}
