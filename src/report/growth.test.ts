import { describe, expect, it } from 'vitest';
import { syntheticGrowth } from '../growth/fixtures.ts';
import { growthCharts, growthMarkdown, growthPage, PROJECTION_LABEL } from './growth.ts';

describe('growth report: a projection is never presented as a measurement', () => {
  const sizes = [1e6, 1e7, 1e8];
  const r = syntheticGrowth({ 'btree-unpartitioned': { c: 50, b: 0.1 }, 'btree-weekly': { c: 20, b: 0.3 } }, sizes, 1e9);
  const charts = growthCharts(r);

  it('draws each figure on log-log axes', () => {
    expect(charts.map((c) => c.id)).toEqual(['growth-throughput', 'growth-p50-open-channel', 'growth-p99-open-channel', 'growth-tablebytes', 'growth-indexbytes', 'growth-seedseconds']);
    for (const c of charts) {
      const scales = (c.config.options as { scales: Record<string, { type: string }> }).scales;
      expect([scales.x.type, scales.y.type]).toEqual(['logarithmic', 'logarithmic']);
    }
  });

  it('measured datasets hold only measured sizes; everything beyond them is dashed and labelled extrapolation', () => {
    for (const c of charts) {
      const datasets = (c.config.data as { datasets: Array<{ label: string; data: Array<{ x: number; y: number }>; borderDash?: number[]; source: string }> }).datasets;
      for (const d of datasets) {
        if (/: measured\b/.test(d.label)) {
          expect(d.source).toBe('measured');
          expect(d.data.every((p) => sizes.includes(p.x))).toBe(true);
        }
        if (d.source === 'projected') {
          expect(d.label).toMatch(/extrapolation|projected/);
          expect(d.label).not.toMatch(/: measured\b/);
        }
        const beyond = d.data.some((p) => p.x > Math.max(...sizes) * 1.0001);
        if (beyond && d.source !== 'reference') {
          expect(d.source, `${c.id}: ${d.label}`).toBe('projected');
          expect(d.label).toMatch(/extrapolation|projected/);
          if (d.data.length > 1) expect(d.borderDash, `${c.id}: ${d.label}`).toBeDefined();
        }
      }
      const projected = datasets.filter((d) => d.source === 'projected' && d.label.includes(PROJECTION_LABEL));
      if (c.id !== 'growth-indexbytes' || projected.length) expect(projected.length).toBe(2);
    }
  });

  it('tables and text keep projections apart and say so', () => {
    const html = growthPage(r, charts);
    const measured = html.slice(html.indexOf('id="growth-measured"'), html.indexOf('</table>', html.indexOf('id="growth-measured"')));
    expect(measured).not.toMatch(/1B|projected|extrapolat/);
    expect(html).toMatch(/Projection to 1B messages: extrapolation, not measured/);
    expect(html).toMatch(/data-source="projected"/);
    const md = growthMarkdown(r, []);
    const projectionSection = md.slice(md.indexOf('## Projection'), md.indexOf('## Indexes'));
    for (const line of projectionSection.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| figure') && !l.startsWith('| ---'))) {
      expect(line).toMatch(/\(projected\)/);
    }
  });

  it('without --project nothing is projected or dashed', () => {
    const plain = syntheticGrowth({ a: { c: 1, b: 0.5 } }, [1e5, 1e6], null);
    expect(plain.projections).toEqual([]);
    const all = growthCharts(plain).flatMap((c) => (c.config.data as { datasets: Array<{ label: string; source: string }> }).datasets);
    expect(all.filter((d) => d.source === 'projected' && !d.label.includes('indexes outgrow'))).toEqual([]);
  });
});
