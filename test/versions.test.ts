// The other PostgreSQL version (Debian's 15) on the representative path: apply and revert every
// variant, seed every variant, audit them, one scenario on every variant. The embedded 18 runs the
// same path in schema, seed and scenario tests; faults.test.ts runs on both. What 15 lacks (EXPLAIN
// GENERIC_PLAN, used by two audit rules) must be reported as not checked, never crash.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCHEMAS_DIR } from '../src/config/paths.ts';
import { checkIdentities, readResults } from '../src/results/io.ts';
import type { ScenarioResults } from '../src/results/types.ts';
import { exportMigrations } from '../src/schema/export.ts';
import { seedRecords } from '../src/schema/bookkeeping.ts';
import { purgeMessagesBefore } from '../src/schema/retention.ts';
import { loadVariants } from '../src/schema/variants.ts';
import { tableChecksums } from '../src/seed/seed.ts';
import { exportRoundTrip, runCli, withClient } from './helpers.ts';
import { killCommands } from './commands.ts';
import { serverKinds, startTestServer, type TestServer } from './servers.ts';

const others = serverKinds().filter((k) => k.binDir);
const all = loadVariants(SCHEMAS_DIR);
const variants = all.map((v) => v.name);

describe.each(others.map((k) => [k.name, k] as const))('%s', (_name, kind) => {
  let server: TestServer;
  let url = '';
  beforeAll(async () => {
    server = await startTestServer(kind, path.join(inject('testHome'), 'versions'));
    await withClient(server.url(), async (c) => {
      await c.query('DROP DATABASE IF EXISTS versions WITH (FORCE)');
      await c.query('CREATE DATABASE versions');
    });
    url = server.url('versions');
  });
  afterAll(async () => {
    // First: a command left running (or started by a timed-out test's body) could start the server again.
    if (server) killCommands({ closeHome: server.env.CHATBENCH_HOME });
    await server?.destroy();
  });

  const schemas = () => withClient(url, async (c) => (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'chatbench%' ORDER BY 1`)).rows.map((r) => r.nspname as string));

  it('applies and reverts every variant, leaving nothing', async () => {
    const applied = await runCli(['schema', 'apply', '--variant', 'all', '--db', url]);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await schemas()).length).toBe(variants.length + 1);
    const reverted = await runCli(['schema', 'revert', '--variant', 'all', '--db', url]);
    expect(reverted.code, reverted.stderr).toBe(0);
    expect(await schemas()).toEqual([]);
  });

  it('exports every variant to sqlx migrations that build its catalog and revert to nothing', async () => {
    const range = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 2, 1) };
    await withClient(url, async (c) => {
      for (const v of all) {
        const files = exportMigrations(v, range).map((m): [string, string] => [m.file, m.sql]);
        expect(await exportRoundTrip(c, v, files, range), v.name).toEqual({ diff: [], left: 0 });
      }
    });
  });

  const seedArgs = () => ['seed', '--db', url, '--messages', '20K', '--variants', 'all', '--quiet'];
  /** Every variant seeded: by the seed test, or here when it did not finish (the same command resumes it). */
  const seeded = async () => {
    const records = await withClient(url, (c) => seedRecords(c, variants));
    if (variants.every((v) => records.get(v)?.status === 'complete')) return;
    const r = await runCli(seedArgs());
    expect(r.code, r.stderr).toBe(0);
  };

  it('seeds every variant with identical data, and the audit passes, saying what it could not check', async () => {
    const r = await runCli([...seedArgs(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { variants: Array<{ variant: string; rows: Record<string, number>; checksums: Record<string, string> }> };
    expect(out.variants.map((v) => v.variant)).toEqual(variants);
    for (const v of out.variants) {
      expect(v.rows.messages).toBe(20_000);
      expect(v.checksums).toEqual(out.variants[0].checksums);
    }
    const check = await runCli(['check', '--db', url]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/not checked: soft-delete-filter and index-scan: .*GENERIC_PLAN.* PostgreSQL 16 or later \(this server is 15\)/);
  }, 360_000); // 49 s quiet; 218 s beside a 7-design 10M seed and the seed tests, over 120 s beside a 100M seed's index builds

  it('runs a scenario on every variant without errors, with the same answers everywhere', async () => {
    await seeded();
    const r = await runCli(['scenario', 'history-scroll', '--db', url, '--variants', 'all', '--duration', '1s', '--warmup', '0s', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const results = readResults(JSON.parse(r.stdout).reportDir) as ScenarioResults;
    checkIdentities(results);
    expect(results.environment.versions.postgres).toMatch(/^PostgreSQL 15/);
    expect(results.variants.map((v) => v.variant)).toEqual(variants);
    for (const v of results.variants) for (const o of v.operations) expect(o.failed, `${v.variant}/${o.name}: ${JSON.stringify(o.errors)}`).toBe(0);
    expect(results.answerChecks.length).toBeGreaterThan(0);
    expect(results.answerChecks.filter((c) => !c.ok)).toEqual([]);
  }, 250_000); // 27 s quiet, 66 s beside a 7-design 10M seed; and the seed's time when the test before did not finish it

  it('detaches concurrently (14 and later) and removes the same rows from every layout (last: it removes history)', async () => {
    await seeded();
    const start = await withClient(url, async (c) => Number((await c.query(`SELECT (plan->>'startMs')::bigint AS s FROM chatbench.seeds LIMIT 1`)).rows[0].s));
    const cutoff = new Date(start + 17.4 * 86_400_000);
    const removed = new Set<number>();
    const sums = new Set<string>();
    for (const v of all) {
      await withClient(url, async (c) => {
        removed.add((await purgeMessagesBefore(c, cutoff, 'detach-concurrently')).removed);
        sums.add(JSON.stringify(Object.values(await tableChecksums(c)).map((t) => t.checksum)));
      }, v.schema);
    }
    expect(removed.size).toBe(1);
    expect([...removed][0]).toBeGreaterThan(1000);
    expect(sums.size).toBe(1);
  });
});
