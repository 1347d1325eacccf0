// Growth on a real server at tiny sizes: one database per size, fits and a projection typed as such,
// --free-after dropping what the run seeded (and the size's database with it), a second plan reusing
// what is there; the refusals of growth and capacity flags; a plan that does not fit on disk.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../src/config/paths.ts';
import { growthConfig } from '../src/config/growth.ts';
import { openTarget } from '../src/db/target.ts';
import { inspectGrowth } from '../src/growth/run.ts';
import { readResults } from '../src/results/io.ts';
import { loadScenario, scenarioFile } from '../src/scenario/registry.ts';
import { loadVariants } from '../src/schema/variants.ts';
import type { GrowthResults } from '../src/results/types.ts';
import { freshDatabase, oneLineError, runCli, runInProcess, withClient } from './helpers.ts';

let url = '';
const databases = async () => withClient(url, async (c) => (await c.query(`SELECT datname, shobj_description(oid, 'pg_database') AS mark FROM pg_database WHERE datname LIKE 'cbtest_growth_%' ORDER BY 1`)).rows as Array<{ datname: string; mark: string }>);

beforeAll(async () => {
  url = await freshDatabase('cbtest_growth');
  await withClient(url, async (c) => {
    for (const db of ['cbtest_growth_5k', 'cbtest_growth_10k']) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
});

afterAll(async () => {
  if (url) await withClient(url, async (c) => c.query('DROP DATABASE IF EXISTS cbtest_growth_5k WITH (FORCE)'));
});

describe('growth across data sizes', () => {
  it('seeds each size in a database of its own, measures, fits, projects, and drops what --free-after names', async () => {
    const r = await runCli(['growth', 'history-scroll', '--db', url, '--messages', '10K,5K', '--variants', 'btree-unpartitioned', '--duration', '1s', '--warmup', '0s', '--no-explain', '--project', '1M', '--free-after', '10K', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const results = readResults(out.reportDir) as GrowthResults;
    expect(results.config.sizes).toEqual([5000, 10_000]);
    expect(results.points.map((p) => [p.messages, p.database, p.seed.reused, p.seed.freed])).toEqual([
      [5000, 'cbtest_growth_5k', false, false],
      [10_000, 'cbtest_growth_10k', false, true],
    ]);
    for (const p of results.points) {
      expect(p.operations.every((o) => o.ok > 0 && o.p99Us >= o.p50Us)).toBe(true);
      expect(p.bytes.indexes).toBeGreaterThan(0);
      expect(p.seed.steps.map((s) => s.name)).toContain('load');
      expect(p.fitsMemory).toBe(true);
    }
    // the 10K data (this run's own) is gone with its database; the 5K size stays, marked as chatbench's
    expect(await databases()).toEqual([{ datname: 'cbtest_growth_5k', mark: 'chatbench growth: data sets of 5K messages' }]);
    const p99 = results.fits.find((f) => f.metric === 'p99:open-channel')!;
    expect(p99).toMatchObject({ variant: 'btree-unpartitioned', n: 2, exponentLow: null, minMessages: 5000, maxMessages: 10_000 });
    expect(results.projections.length).toBe(results.fits.length);
    expect(results.projections.every((p) => p.source === 'projected' && p.messages === 1_000_000)).toBe(true);
    expect(results.crossings.map((c) => c.limit)).toEqual(['shared_buffers', 'memory']);
    expect(fs.existsSync(path.join(out.reportDir, 'charts', 'growth-p99-open-channel.png'))).toBe(true);
    expect(fs.readFileSync(path.join(out.reportDir, 'index.html'), 'utf8')).toMatch(/Projection to 1M messages: extrapolation, not measured/);

    // The plan of the same run now reuses the 5K seed and seeds 10K again.
    const target = await openTarget({ kind: 'url', url: new URL(url) });
    try {
      const cfg = growthConfig({ messages: '5K,10K', variants: 'btree-unpartitioned' }, await loadScenario('history-scroll'), scenarioFile('history-scroll'), loadVariants(SCHEMAS_DIR)).growth;
      const items = await inspectGrowth(target, cfg, 'cbtest_growth');
      expect(items.map((i) => [i.messages, i.state, i.database])).toEqual([[5000, 'reuse', 'cbtest_growth_5k'], [10_000, 'seed', 'cbtest_growth_10k']]);
    } finally {
      await target.close();
    }
  }, 180_000);

  it('refuses a plan that does not fit on disk, saying what would', async () => {
    // The embedded server's home on a 6 MB filesystem: 5K and 10K messages need more at once.
    const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-growth-disk-'));
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mount]).status !== 0) {
      console.warn('cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN): the growth disk refusal is not tested');
      fs.rmSync(mount, { recursive: true, force: true });
      return;
    }
    try {
      // in-process: with no server initialised there, the dry run connects to nothing
      const r = await runInProcess(['growth', 'history-scroll', '--messages', '5K,10K', '--variants', 'btree-unpartitioned,brin-weekly', '--dry-run'], { CHATBENCH_HOME: path.join(mount, 'home') });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/<< NOT ENOUGH/);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^chatbench: not enough disk: this growth run needs about [\d.]+ MB at its peak and .* has [\d.]+ MB free: (add --free-after [\dK,]+ to drop|even dropping every size)/);
      expect(fs.existsSync(path.join(mount, 'home'))).toBe(false); // a dry run creates nothing
    } finally {
      spawnSync('umount', [mount]);
      fs.rmSync(mount, { recursive: true, force: true });
    }
  }, 60_000);
});

// [arguments, message]: refused before connecting, with one line naming the flag, the value and what is allowed.
const USAGE: Array<[string[], RegExp]> = [
  [['growth', 'history-scroll', '--messages', '1M'], /invalid value "1M" for --messages: expected two or more sizes, comma-separated, such as 1M,10M,100M \(a growth exponent needs at least two\)/],
  [['growth', 'history-scroll', '--messages', '1M,1M'], /invalid value "1M,1M" for --messages: expected distinct sizes \(1M is given twice\)/],
  [['growth', 'history-scroll', '--messages', '1M,10X'], /invalid value "10X" for --messages: expected a count/],
  [['growth', 'history-scroll'], /missing --messages: the data sizes to measure/],
  [['growth', 'history-scroll', '--messages', '1M,10M', '--project', '5M'], /invalid value "5M" for --project: expected a size above the largest measured one \(10M\)/],
  [['growth', 'history-scroll', '--messages', '1M,10M', '--free-after', '100M'], /invalid value "100M" for --free-after: expected sizes from --messages \(1M, 10M\), or all/],
  [['growth', 'history-scroll', '--messages', '1M,10M', '--rate', '10', '--concurrency', '2'], /--rate and --concurrency cannot be used together/],
  [['capacity', 'chat-mix'], /missing --slo: the objective each rate must meet/],
  [['capacity', 'chat-mix', '--slo', 'p99<50'], /invalid value "p99<50" for --slo: expected objectives such as p99<50ms/],
  [['capacity', 'chat-mix', '--slo', 'p99(sned)<50ms'], /unknown operation "sned" in --slo p99\(sned\)<50ms: expected one of open-channel, scroll-back, send/],
  [['capacity', 'chat-mix', '--slo', 'p100<50ms'], /invalid value "p100<50ms" for --slo: expected a percentile above p0 and below p100/],
  [['capacity', 'retention', '--slo', 'p99<50ms'], /retention runs a one-off event \(drop-old-month\) in each measurement/],
  [['capacity', 'chat-mix', '--slo', 'p99<50ms', '--start-rate', '500', '--max-rate', '100'], /--max-rate 100 is below the start rate 500/],
  [['capacity', 'chat-mix', '--slo', 'p99<50ms', '--max-error-rate', '120%'], /invalid value "120%" for --max-error-rate: expected a share such as 0\.1%/],
  [['capacity', 'chat-mix', '--slo', 'p99<50ms', '--step', '500ms'], /invalid value "500ms" for --step: expected at least 1s/],
  [['capacity', 'chat-mix', '--slo', 'p99<50ms', '--resolution', '0.1%'], /invalid value "0\.1%" for --resolution: expected a share from 0\.5% to 50%/],
  [['scenario', 'chat-mix', '--slo', 'p99.9(send)>200ms'], /invalid value "p99\.9\(send\)>200ms" for --slo/],
];

describe('refusals', () => {
  it.each(USAGE)('%j', async (args, message) => {
    const r = await runInProcess([...args, '--db', 'postgres://nobody@127.0.0.1:1/never']);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(message);
  }, 150_000); // 29 s quiet, 34 s beside a 100M seed
});
