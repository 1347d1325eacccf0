/// <reference lib="dom" />
// Reports, checked in a real headless Chromium: the quickstart's page loads from file:// with no
// console errors and no network requests, every chart has drawn pixels, every section is
// populated; text from results is escaped; PNGs are real images; compare gates on regressions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/paths.ts';
import { readResults, writeResults } from '../src/results/io.ts';
import type { ScenarioResults } from '../src/results/types.ts';
import { renderRun } from '../src/report/render.ts';
import { launchChromium } from './browser.ts';
import { freshDatabase, oneLineError, runCli, withClient } from './helpers.ts';

const OUT = path.join(PROJECT_ROOT, 'test-output');

let browser: Browser;
let url = '';
let quickstartReport = '';

beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
  url = await freshDatabase('cbtest_report');
  const r = await runCli(['quickstart', '--db', url, '--json', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  quickstartReport = JSON.parse(r.stdout).report;
});

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

async function open(file: string, screenshot?: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  await page.waitForLoadState('load');
  await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length === 0 || (window as unknown as { Chart?: unknown }).Chart !== undefined);
  if (screenshot) await page.screenshot({ path: path.join(OUT, screenshot), fullPage: true });
  return { page, errors, requests };
}

/** For each chart canvas, whether it has any non-transparent pixel. */
function canvasesDrawn(page: Page): Promise<boolean[]> {
  return page.$$eval('canvas[data-chart]', (canvases) =>
    canvases.map((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    }),
  );
}

describe('the quickstart report', () => {
  it('opens from disk with no console errors and no network requests, every section populated', async () => {
    const { page, errors, requests } = await open(quickstartReport, 'quickstart-report.png');
    expect(errors).toEqual([]);
    expect(requests.filter((r) => r !== `file://${quickstartReport}`)).toEqual([]);
    const results = readResults(path.dirname(quickstartReport)) as ScenarioResults;
    const drawn = await canvasesDrawn(page);
    expect(drawn.length).toBeGreaterThanOrEqual(results.scenario.operations.length + 4);
    expect(drawn.every(Boolean)).toBe(true);
    expect(await page.$$eval('#verdict tbody tr', (rows) => rows.length)).toBe(results.scenario.operations.length);
    for (const id of ['#verdict', '#latency', '#over-time', '#errors', '#answer-checks', '#server', '#storage', '#environment']) {
      expect(await page.$(id), id).not.toBeNull();
    }
    expect(await page.$$eval('details[data-plan]', (d) => d.length)).toBe(results.scenario.operations.length * results.variants.length);
    const text = await page.textContent('body');
    expect(text).toContain('PostgreSQL 18');
    expect(text).toContain('npm run scenario history-scroll');
    expect(text).toMatch(/identical/);
    expect(text).toContain('shared_buffers');
    await page.close();
  });

  it('writes PNG charts of the stated size with content, and a summary.md that embeds them', async () => {
    const dir = path.dirname(quickstartReport);
    const pngs = fs.readdirSync(path.join(dir, 'charts'));
    expect(pngs.length).toBeGreaterThanOrEqual(4);
    const { loadImage, createCanvas } = await import('@napi-rs/canvas');
    for (const f of pngs) {
      const buf = fs.readFileSync(path.join(dir, 'charts', f));
      expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(buf.readUInt32BE(16)).toBe(1000);
      expect(buf.readUInt32BE(20)).toBe(500);
      const img = await loadImage(buf);
      const canvas = createCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) inked++;
      expect(inked, f).toBeGreaterThan(1000);
    }
    const md = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/## Verdict/);
    for (const f of pngs) expect(md).toContain(`charts/${f}`);
  });
});

describe('escaping', () => {
  it('shows names, SQL and errors containing markup as text', async () => {
    const evil = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">"'&`;
    const results = readResults(path.dirname(quickstartReport)) as ScenarioResults;
    results.scenario.name = evil;
    results.scenario.question = evil;
    results.scenario.operations[0].sql = `SELECT '${evil}'`;
    results.variants[0].variant = `v${evil}`;
    results.variants[0].operations[0].name = evil;
    results.variants[0].operations[0].errors = { '42601': { count: 1, name: evil, example: evil } };
    results.variants[0].operations[0].failed = 1;
    results.variants[0].operations[0].attempted += 1;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-xss-'));
    writeResults(dir, results);
    const file = await renderRun(dir);
    const { page, errors, requests } = await open(file);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    expect(requests.filter((r) => !r.startsWith('file://'))).toEqual([]);
    expect(await page.$$eval('img', (i) => i.length)).toBe(0);
    expect(await page.textContent('h1')).toContain(evil);
    expect(await page.textContent('body')).toContain(`SELECT '${evil}'`);
    await page.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('other pages', () => {
  it('a seed report and a bench-free re-render work in the browser too', async () => {
    const r = await runCli(['seed', '--db', url, '--messages', '5000', '--variants', 'brin-monthly', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const dir = JSON.parse(r.stdout).reportDir;
    const again = await runCli(['report', dir]);
    expect(again.code, again.stderr).toBe(0);
    const { page, errors } = await open(path.join(dir, 'index.html'), 'seed-report.png');
    expect(errors).toEqual([]);
    expect((await canvasesDrawn(page)).every(Boolean)).toBe(true);
    expect(await page.textContent('body')).toContain('identical in every variant');
    // the timeline: load passes and post-load tasks per connection, rates over time, steps with WAL
    for (const id of ['seed-timeline', 'seed-rates', 'seed-memory']) expect(await page.$(`canvas[data-chart="${id}"]`), id).not.toBeNull();
    expect(await page.$$eval('#steps + table tbody tr', (rows) => rows.map((r) => r.children[1].textContent))).toEqual(expect.arrayContaining(['load', 'indexes', 'foreign-keys', 'verify']));
    expect(fs.existsSync(path.join(dir, 'charts', 'seed-timeline.png'))).toBe(true);
    await page.close();
  });
});

describe('comparing runs', () => {
  it('flags a deliberately slowed variant and exits 3 with --fail-on-regression', async () => {
    const run = async () => {
      const r = await runCli(['scenario', 'history-scroll', '--db', url, '--variants', 'btree-unpartitioned', '--duration', '3s', '--warmup', '500ms', '--no-explain', '--json', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).reportDir as string;
    };
    const before = await run();
    // slow the variant down for real: without its channel-history index every page scans
    await withClient(url, (c) => c.query('ALTER INDEX chatbench_btree_unpartitioned.messages_channel_id_idx RENAME TO messages_channel_id_idx_parked; DROP INDEX chatbench_btree_unpartitioned.messages_channel_id_idx_parked'));
    try {
      const after = await run();
      const ok = await runCli(['report', 'compare', before, before, '--fail-on-regression', '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      const gate = await runCli(['report', 'compare', before, after, '--threshold', '10%', '--fail-on-regression', '--json']);
      expect(gate.code).toBe(3);
      expect(oneLineError(gate.stderr)).toMatch(/regression\(s\) beyond 10% \(--fail-on-regression\)/);
      const c = JSON.parse(gate.stdout);
      expect(c.regressions).toBeGreaterThan(0);
      const { page, errors } = await open(c.report, 'compare-report.png');
      expect(errors).toEqual([]);
      expect(await page.textContent('body')).toContain('regression');
      await page.close();
      const list = await runCli(['report', 'list', '--json']);
      const runs = JSON.parse(list.stdout).runs.map((x: { dir: string }) => x.dir);
      expect(runs).toContain(before);
      expect(runs).toContain(after);
    } finally {
      await withClient(url, (c) => c.query('CREATE INDEX messages_channel_id_idx ON chatbench_btree_unpartitioned.messages (channel_id, id)'));
    }
  }, 160_000); // 33 s quiet, 77 s beside a 100M seed
});
