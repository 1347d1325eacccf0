// The seeder: exact counts, identical data across variants, worker counts and COPY formats,
// resumable after SIGKILL with exactly the rows of an uninterrupted run, safe with existing data.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFragments } from '../src/bench/common.ts';
import { SCHEMAS_DIR } from '../src/config/paths.ts';
import { targetSpec } from '../src/config/target.ts';
import { openTarget } from '../src/db/target.ts';
import { loadModel } from '../src/generate/model.ts';
import { buildPlan, planParams } from '../src/generate/plan.ts';
import { doneTasks, seedRecords } from '../src/schema/bookkeeping.ts';
import { loadVariants } from '../src/schema/variants.ts';
import { CONTRAST_ORDER } from '../src/seed/choose.ts';
import { readLayouts } from '../src/seed/layout.ts';
import { ChannelCounts } from '../src/seed/channel-counts.ts';
import { planPasses, runPasses } from '../src/seed/load.ts';
import { seedVariants } from '../src/seed/seed.ts';
import { freshDatabase, oneLineError, runCli, runInProcess, withClient } from './helpers.ts';

let url = '';
beforeAll(async () => {
  url = await freshDatabase('cbtest_seed');
});

interface SeedJson {
  variants: Array<{ variant: string; rows: Record<string, number>; checksums: Record<string, string>; steps: Array<{ name: string; ms: number }>; bytes: Record<string, unknown> }>;
}

async function seed(args: string[]): Promise<SeedJson> {
  const r = await runCli(['seed', '--db', url, '--json', '--quiet', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SeedJson;
}

const contentChecksums = (s: SeedJson, variant: string) => s.variants.find((v) => v.variant === variant)!.checksums;
/** The 20K seed's checksums, from the first test that seeds it (the next one compares a grouped seed with them). */
let reference20K: Record<string, string> | undefined;

/**
 * Counts the messages partitions of btree-monthly committed by the load (their progress marks) on an
 * open connection, fast enough to poll every few milliseconds: once the marks table exists it is not
 * looked for again.
 */
function messageMonths(c: pg.Client): () => Promise<number> {
  let marks = false;
  return async () => {
    marks ||= (await c.query(`SELECT to_regclass('chatbench.seed_sinks') IS NOT NULL AS ok`)).rows[0].ok as boolean;
    return marks ? ((await c.query(`SELECT count(*)::int AS n FROM chatbench.seed_sinks WHERE variant = 'btree-monthly' AND table_name = 'messages'`)).rows[0].n as number) : 0;
  };
}

/** Relations among `names` (all when none is named) of btree-monthly that the load committed. */
async function loadedRelations(...names: string[]): Promise<number> {
  return withClient(url, async (c) => {
    const ok = await c.query(`SELECT to_regclass('chatbench.seed_sinks') IS NOT NULL AS ok`);
    if (!ok.rows[0].ok) return 0;
    return (await c.query(`SELECT count(*)::int AS n FROM chatbench.seed_sinks WHERE variant = 'btree-monthly' AND (cardinality($1::text[]) = 0 OR relation = ANY($1))`, [names])).rows[0].n as number;
  });
}

/** Post-load tasks of btree-monthly done so far: index builds, and whether the foreign keys were added. */
async function postLoadMarks(): Promise<{ indexes: number; keys: number }> {
  return withClient(url, async (c) => {
    const ok = await c.query(`SELECT to_regclass('chatbench.seed_tasks') IS NOT NULL AS ok`);
    if (!ok.rows[0].ok) return { indexes: 0, keys: 0 };
    const r = await c.query(`SELECT count(*) FILTER (WHERE task LIKE 'index:%')::int AS indexes, count(*) FILTER (WHERE task = 'fk-add')::int AS keys FROM chatbench.seed_tasks WHERE variant = 'btree-monthly'`);
    return r.rows[0];
  });
}

async function chatbenchSchemas(): Promise<string[]> {
  return withClient(url, async (c) => (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'chatbench%' ORDER BY 1`)).rows.map((r) => r.nspname));
}

describe('seed', () => {
  it('rejects bad input with one line and creates nothing', async () => {
    // Refused before connecting, so in-process: the same code as the command, without five starts.
    for (const args of [['--messages', '12X'], ['--variants', 'btree-monthly,bogus'], ['--days', '0'], ['--seed', '-1'], ['--format', 'csv']]) {
      const r = await runInProcess(['seed', '--db', url, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      oneLineError(r.stderr);
    }
    expect(await chatbenchSchemas()).toEqual([]);
  });

  it('--dry-run prints the plan and estimates and writes nothing', async () => {
    const r = await runCli(['seed', '--db', url, '--messages', '30K', '--variants', 'btree-unpartitioned,brin-weekly', '--dry-run', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.plan.rows.messages).toBe(30_000);
    expect(plan.plan.users).toBe(150);
    expect(plan.estimates).toHaveLength(2);
    const brin = plan.estimates.find((e: { variant: string }) => e.variant === 'brin-weekly');
    const btree = plan.estimates.find((e: { variant: string }) => e.variant === 'btree-unpartitioned');
    const idx = (e: { tables: Array<{ table: string; indexes: Record<string, number> }> }) => e.tables.find((t) => t.table === 'messages')!.indexes.messages_created_at_idx;
    expect(idx(brin)).toBeLessThan(idx(btree));
    expect(plan.calibration.serverRowsPerSec['brin-weekly']).toBeGreaterThan(0);
    expect(await chatbenchSchemas()).toEqual([]);
  });

  it('with no --variants, chooses the designs that fit the disk, in contrast order, and says so in one line', async () => {
    // An uninitialised embedded home: the dry-run knows its disk's free space and starts no server.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-seed-home-'));
    try {
      const r = await runCli(['seed', '--messages', '20K', '--dry-run', '--json'], { env: { CHATBENCH_HOME: home } });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.variants.slice(0, CONTRAST_ORDER.length)).toEqual(CONTRAST_ORDER); // designs added later follow
      expect(out.choice).toMatch(/^no --variants given: seeding btree-unpartitioned, brin-weekly, .* \(the designs that contrast most \(docs\/DATA\.md\), in order, that fit in [\d.]+ [GT]B free less a [\d.]+ GB margin; all \d+ left would need .*\)$/);
      expect(fs.readdirSync(home)).toEqual([]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('loads exactly the rows asked for, consistently, and the audit passes on the seeded data', async () => {
    const s = await seed(['--messages', '12345', '--variants', 'brin-weekly', '--days', '20']);
    const v = s.variants[0];
    expect(v.rows.messages).toBe(12_345);
    for (const step of ['create', 'load', 'ddl', 'indexes', 'verify', 'analyze', 'foreign-keys', 'reconcile', 'sequences', 'sizes']) expect(v.steps.map((x) => x.name)).toContain(step);
    expect(Object.keys(v.bytes)).toContain('indexes');
    await withClient(url, async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(12_345);
      // denormalised counters reconciled with the rows: counted while loading, they are what a scan
      // of the rows gives (count, last id and time), and the scan has nothing left to change
      const wrong = await c.query(`SELECT count(*)::int AS n FROM channels c
        WHERE c.message_count <> (SELECT count(*) FROM messages m WHERE m.channel_id = c.id AND m.deleted_at IS NULL)`);
      expect(wrong.rows[0].n).toBe(0);
      expect((await c.query('SELECT count(*)::int AS n FROM channels WHERE message_count > 0')).rows[0].n).toBeGreaterThan(10);
      expect((await doneTasks(c, ['brin-weekly'])).get('brin-weekly')!.get('reconcile')).toMatch(/^\d+ channels updated, counted while loading$/);
      expect((await c.query('SELECT reconcile_channel_counters()::int AS n')).rows[0].n).toBe(0);
      // every foreign key was validated when it was added
      const invalid = await c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND NOT convalidated AND connamespace = 'chatbench_brin_weekly'::regnamespace`);
      expect(invalid.rows[0].n).toBe(0);
      // ids are time-ordered within each channel, and created_at is what the id encodes
      const disorder = await c.query(`SELECT count(*)::int AS n FROM (SELECT created_at, lag(created_at) OVER (PARTITION BY channel_id ORDER BY id) AS prev FROM messages) x WHERE created_at < prev`);
      expect(disorder.rows[0].n).toBe(0);
      expect((await c.query('SELECT count(*)::int AS n FROM messages WHERE created_at <> snowflake_time(id)')).rows[0].n).toBe(0);
      // identity sequences continue after the loaded ids
      const next = await c.query(`INSERT INTO users (username, email, password_hash) VALUES ('newcomer', 'new@example.com', '$argon2id$x') RETURNING id`);
      expect(Number(next.rows[0].id)).toBe(Number((await c.query('SELECT max(id) FROM users WHERE username <> $1', ['newcomer'])).rows[0].max) + 1);
      await c.query(`DELETE FROM users WHERE username = 'newcomer'`);
    }, 'chatbench_brin_weekly');
    const check = await runCli(['check', '--variant', 'brin-weekly', '--db', url]);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/brin-weekly \(on its seeded data\)/);
  });

  it('refuses to seed over existing data without --force, explaining --force and --resume', async () => {
    // The data the test before seeds, seeded (or resumed) here if it did not get so far.
    const done = await withClient(url, async (c) => (await seedRecords(c, ['brin-weekly'])).get('brin-weekly')?.status === 'complete');
    if (!done) await seed(['--messages', '12345', '--variants', 'brin-weekly', '--days', '20']);
    const r = await runCli(['seed', '--db', url, '--messages', '12345', '--variants', 'brin-weekly', '--days', '20']);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/already holds a seed .*pass --force/);
    const other = await runCli(['seed', '--db', url, '--messages', '999', '--variants', 'brin-weekly']);
    expect(oneLineError(other.stderr)).toMatch(/not the one asked for/);
    const resume = await runCli(['seed', '--db', url, '--messages', '12345', '--variants', 'brin-weekly', '--days', '20', '--resume']);
    expect(oneLineError(resume.stderr)).toMatch(/nothing to resume/);
  });

  it('gives identical tables in every variant, with any number of jobs and either COPY format; another seed differs', async () => {
    const a = await seed(['--messages', '20K', '--variants', 'btree-unpartitioned,brin-weekly', '--jobs', '1', '--format', 'text', '--verify', 'full', '--force']);
    // Two designs fed by one generation share one count of the channels (taken on the first).
    const counted = await withClient(url, (c) => doneTasks(c, ['btree-unpartitioned', 'brin-weekly']));
    for (const v of ['btree-unpartitioned', 'brin-weekly']) expect(counted.get(v)!.get('reconcile'), v).toMatch(/counted while loading$/);
    const b = await seed(['--messages', '20K', '--variants', 'btree-unpartitioned', '--jobs', '3', '--format', 'binary', '--verify', 'full', '--force']);
    const ref = contentChecksums(a, 'btree-unpartitioned');
    reference20K = ref;
    expect(Object.keys(ref).length).toBeGreaterThanOrEqual(15);
    expect(contentChecksums(a, 'brin-weekly')).toEqual(ref);
    expect(contentChecksums(b, 'btree-unpartitioned')).toEqual(ref);
    const c = await seed(['--messages', '20K', '--variants', 'btree-unpartitioned', '--seed', '7', '--verify', 'full', '--force']);
    expect(contentChecksums(c, 'btree-unpartitioned').messages).not.toBe(ref.messages);
  }, 200_000); // 39 s quiet, 91 s beside a 100M seed

  it('seeds in groups one after another (each loaded, then post-loaded, before the next), resumes a seed stopped between them, to the same checksums', async () => {
    const variants = loadVariants(SCHEMAS_DIR).filter((v) => ['btree-unpartitioned', 'brin-weekly'].includes(v.name));
    const params = planParams({ messages: 20_000 });
    const target = await openTarget(targetSpec(url, {}));
    const opts = { target, variants, params, model: await loadModel(params), jobs: 2, format: 'binary' as const, verify: 'full' as const, resume: false, groups: [['brin-weekly'], ['btree-unpartitioned']] };
    // Stopped as the second group starts to load: the first is loaded, indexed and checked by then.
    const stop = new AbortController();
    const first = await seedVariants({ ...opts, force: true, signal: stop.signal, onEvent: (e) => e.type === 'step' && e.step === 'load' && e.phase === 'start' && e.variant === 'btree-unpartitioned' && stop.abort() });
    expect(first.interrupted).toBeDefined();
    for (const step of ['indexes', 'checksums']) expect(first.timeline.bars.some((b) => b.variant === 'brin-weekly' && b.step === step), step).toBe(true);
    expect(first.timeline.bars.some((b) => b.variant === 'btree-unpartitioned')).toBe(false);
    // The same call again resumes both, and ends with the data of one group (the test above).
    const run = await seedVariants({ ...opts, force: false, signal: new AbortController().signal, onEvent: () => {} });
    expect(Object.fromEntries(run.variants.map((v) => [v.variant, v.resumed]))).toEqual({ 'btree-unpartitioned': true, 'brin-weekly': true });
    expect(run.variants.find((v) => v.variant === 'brin-weekly')!.steps.find((x) => x.name === 'load')!.detail).not.toMatch(/one generation/);
    const sums = (variant: string) => Object.fromEntries(Object.entries(run.variants.find((v) => v.variant === variant)!.facts.tables).map(([t, f]) => [t, f.checksum]));
    expect(Object.values(sums('btree-unpartitioned')).filter((x) => x.length > 0).length).toBeGreaterThanOrEqual(15);
    expect(sums('brin-weekly')).toEqual(sums('btree-unpartitioned'));
    if (reference20K) expect(sums('btree-unpartitioned')).toEqual(reference20K); // when the file runs whole
    const wrong = (groups: string[][]) => seedVariants({ ...opts, groups, force: true, signal: new AbortController().signal, onEvent: () => {} });
    await expect(wrong([['brin-weekly']])).rejects.toThrow(/variant btree-unpartitioned is in no group of the seed, or in more than one/);
    await expect(wrong([['brin-weekly', 'btree-unpartitioned'], ['btree-weekly']])).rejects.toThrow(/group member btree-weekly is not a variant of the seed/);
    // refused before anything was dropped
    expect(await withClient(url, async (c) => [...(await seedRecords(c, ['brin-weekly', 'btree-unpartitioned'])).values()].map((r) => r.status))).toEqual(['complete', 'complete']);
  }, 120_000);

  it('resumes after SIGKILL mid-load, and again during the parallel post-load steps, to the rows and checksums of an uninterrupted run', async () => {
    const args = (jobs: number) => ['seed', '--db', url, '--messages', '200K', '--variants', 'btree-monthly', '--jobs', String(jobs), '--verify', 'full', '--quiet'];
    const killWhen = async (argv: string[], ready: () => Promise<boolean>, everyMs = 50) => {
      let pid = 0;
      const run = runCli(argv, { onSpawn: (p) => (pid = p) });
      for (let i = 0; i < 60_000 / everyMs && !(await ready()); i++) await new Promise((r) => setTimeout(r, everyMs));
      process.kill(pid, 'SIGKILL');
      expect((await run).signal).toBe('SIGKILL');
      // The server still runs what the seed sent before it died (a chunk's last COPY data, its mark and
      // COMMIT can be in flight): a mark may commit after the kill, so marks are read once its
      // connections are gone: one run of this file read fewer than three months to decide, then three.
      await withClient(url, async (c) => {
        const seedBackends = async () => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'chatbench seed%'`)).rows[0].n as number;
        for (let i = 0; i < 600 && (await seedBackends()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      });
    };
    // 1. in the middle of the load, once a month of messages is committed. With --jobs 2 the three
    // months (90 days from January) load side by side, four passes at once, and end together: a fresh
    // clone's run killed the seed after all three in four attempts out of four (2026-12-02, a fast
    // day). With --jobs 1 (two passes) the third month waits for a pass to free, so a month's load
    // separates the first month's commit from the last; the resumes below run with --jobs 2.
    // A kill after the whole load is not the case under test: start again from nothing, up to 4 times.
    // Polled every 10 ms on one open connection: a connection opened per poll, every 50 ms, took long
    // enough on a busy machine to miss the first month by the second of it all (two suites side by side).
    await withClient(url, async (c) => {
      const months = messageMonths(c);
      let atKill = 0;
      for (let attempt = 1; ; attempt++) {
        await killWhen(args(1), async () => (await months()) >= 1, 10);
        atKill = await months();
        if (atKill < 3 || attempt === 4) break;
        await c.query(`DROP SCHEMA IF EXISTS chatbench_btree_monthly CASCADE; DELETE FROM chatbench.variants WHERE variant = 'btree-monthly'`);
      }
      expect(atKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(3);
    });
    const loadedAtKill = await loadedRelations();
    // 2. the same command again; killed once index builds are committed and before the foreign keys
    await killWhen(args(2), async () => (await postLoadMarks()).indexes >= 4);
    const marks = await postLoadMarks();
    expect(marks.indexes).toBeGreaterThanOrEqual(4);
    expect(marks.keys).toBe(0);
    // 3. and again: it continues at the steps not done
    const resumed = await runCli([...args(2), '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const r = JSON.parse(resumed.stdout) as SeedJson;
    expect(r.variants[0].rows.messages).toBe(200_000);
    expect(loadedAtKill).toBeLessThan(await loadedRelations()); // the first kill was mid-load
    const reference = await seed(['--messages', '200K', '--variants', 'btree-unpartitioned', '--verify', 'full', '--force']);
    // The resumed load did not see every message, so its counters were read from the rows; the
    // reference counted them while loading: the same channels either way.
    expect(contentChecksums(r, 'btree-monthly')).toEqual(contentChecksums(reference, 'btree-unpartitioned'));
    const details = await withClient(url, (c) => doneTasks(c, ['btree-monthly', 'btree-unpartitioned']));
    expect(details.get('btree-monthly')!.get('reconcile')).toMatch(/read from the rows$/);
    expect(details.get('btree-unpartitioned')!.get('reconcile')).toMatch(/counted while loading$/);
    await withClient(url, async (c) => {
      // what a build in one transaction gives: every key validated, every index valid
      const bad = await c.query(`SELECT (SELECT count(*) FROM pg_constraint WHERE connamespace = 'chatbench_btree_monthly'::regnamespace AND NOT convalidated)::int AS keys,
                                        (SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relnamespace = 'chatbench_btree_monthly'::regnamespace AND NOT x.indisvalid)::int AS indexes`);
      expect(bad.rows[0]).toEqual({ keys: 0, indexes: 0 });
    });
  }, 300_000); // 49 s quiet; 166 s beside a 7-design 10M seed and the versions tests, over 120 s beside a 100M seed's index builds

  it('--verify full and sample catch a lost chunk and a chunk loaded twice', async () => {
    // A load killed once a month of rows is committed, the committed rows damaged, then resumed.
    const damaged = async (verify: string, damage: string[]) => {
      const args = ['seed', '--db', url, '--messages', '40K', '--variants', 'btree-monthly', '--jobs', '1', '--verify', verify, '--quiet'];
      // start from nothing, so the marks polled below are this run's
      await withClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS chatbench_btree_monthly CASCADE; DO $$ BEGIN IF to_regclass('chatbench.variants') IS NOT NULL THEN DELETE FROM chatbench.variants WHERE variant = 'btree-monthly'; END IF; END $$`));
      let pid = 0;
      const run = runCli(args, { onSpawn: (p) => (pid = p) });
      for (let i = 0; i < 1200 && (await loadedRelations('messages_p20260101', 'reactions_p20260101')) < 2; i++) await new Promise((r) => setTimeout(r, 50));
      process.kill(pid, 'SIGKILL');
      expect((await run).signal).toBe('SIGKILL');
      await withClient(url, async (c) => {
        for (const sql of damage) await c.query(sql);
      }, 'chatbench_btree_monthly');
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(1);
      return oneLineError(r.stderr);
    };
    const lose = 'DELETE FROM messages_p20260101 WHERE id IN (SELECT id FROM messages_p20260101 ORDER BY id LIMIT 5000 OFFSET 5000)';
    const twice = 'INSERT INTO reactions_p20260101 SELECT * FROM reactions_p20260101 ORDER BY message_id LIMIT 2000';
    // sample: rows lost show in the counts; rows doubled stop the unique index built on them (as with --verify none)
    const full = await damaged('full', [lose, twice]);
    expect(full).toMatch(/verification failed for btree-monthly: 2 key range\(s\) differ/);
    expect(full).toMatch(/messages_p20260101 key range \d+ .*: 5000 row\(s\) missing/);
    expect(full).toMatch(/reactions_p20260101 key range \d+ .*: 2000 row\(s\) too many \(a chunk loaded twice\?\)/);
    expect(await damaged('sample', [lose])).toMatch(/messages_p20260101 key range \d+ .*: 5000 row\(s\) missing/);
    expect(await damaged('sample', [twice])).toMatch(/reactions_p20260101 holds duplicated rows .*a chunk loaded twice/);
  }, 220_000); // 43 s quiet, 106 s beside a 100M seed

  it('routes rows to hash partitions itself (equal and mixed moduli), which the server accepts leaf by leaf; lists the leaves of a table it cannot route', async () => {
    const variant = loadVariants(SCHEMAS_DIR).find((v) => v.name === 'btree-unpartitioned')!;
    const model = await loadModel(planParams({ messages: 20_000 }));
    const rows = buildPlan(model.params, model).rows;
    const layouts = await withClient(url, async (c) => {
      await c.query('DROP SCHEMA IF EXISTS hash_load CASCADE; CREATE SCHEMA hash_load');
      await runFragments(c, variant, 'hash_load', 'pre-load');
      await c.query(`SET search_path = hash_load;
        ALTER TABLE messages RENAME TO messages_plain;
        CREATE TABLE messages (LIKE messages_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (channel_id);
        CREATE TABLE messages_h0 PARTITION OF messages FOR VALUES WITH (MODULUS 4, REMAINDER 0);
        CREATE TABLE messages_h1 PARTITION OF messages FOR VALUES WITH (MODULUS 4, REMAINDER 1);
        CREATE TABLE messages_h2 PARTITION OF messages FOR VALUES WITH (MODULUS 4, REMAINDER 2);
        CREATE TABLE messages_h3 PARTITION OF messages FOR VALUES WITH (MODULUS 4, REMAINDER 3);
        ALTER TABLE reactions RENAME TO reactions_plain;
        CREATE TABLE reactions (LIKE reactions_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (message_id);
        CREATE TABLE reactions_a PARTITION OF reactions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
        CREATE TABLE reactions_b PARTITION OF reactions FOR VALUES WITH (MODULUS 4, REMAINDER 1);
        CREATE TABLE reactions_c PARTITION OF reactions FOR VALUES WITH (MODULUS 4, REMAINDER 3);
        ALTER TABLE attachments RENAME TO attachments_plain;
        CREATE TABLE attachments (LIKE attachments_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST ((message_id % 2));
        CREATE TABLE attachments_even PARTITION OF attachments FOR VALUES IN (0);
        CREATE TABLE attachments_odd PARTITION OF attachments FOR VALUES IN (1)`);
      return readLayouts(c, 'hash_load');
    });
    expect(layouts.get('messages')).toMatchObject({ kind: 'routed', strategy: 'hash' });
    expect(layouts.get('reactions')?.leaves.map((l) => [l.modulus, l.remainder])).toEqual([[2, 0], [4, 1], [4, 3]]);
    expect(layouts.get('attachments')).toMatchObject({ kind: 'parent', partitions: ['attachments_even', 'attachments_odd'] });
    const designs = [{ variant: 'hash', schema: 'hash_load', layouts, done: new Set<string>() }];
    const target = await openTarget(targetSpec(url, {}));
    // COPY into a leaf checks every row against the leaf's partition constraint: a row routed wrongly fails the load (23514).
    const counts = new ChannelCounts(model.channelCount);
    const done = await runPasses({ target, model, designs, passes: planPasses(model, designs, ['messages', 'reactions', 'attachments']), slots: 2, format: 'binary', signal: new AbortController().signal, onEvent: () => {}, marks: false, channelCounts: { design: 0, counts } });
    const loaded = (prefix: string) => done.filter((d) => d.relation.startsWith(prefix));
    expect(loaded('messages_h').map((d) => d.relation).sort()).toEqual(['messages_h0', 'messages_h1', 'messages_h2', 'messages_h3']);
    expect(loaded('messages_h').reduce((a, d) => a + d.rows, 0)).toBe(20_000);
    expect(loaded('messages_h').every((d) => d.rows > 2_000)).toBe(true);
    expect(loaded('reactions_')).toHaveLength(3);
    await withClient(url, async (c) => {
      const n = await c.query(`SELECT (SELECT count(*) FROM messages)::int AS m, (SELECT count(*) FROM reactions)::int AS r, (SELECT count(*) FROM attachments)::int AS a`);
      expect(n.rows[0]).toEqual({ m: 20_000, r: loaded('reactions_').reduce((a, d) => a + d.rows, 0), a: loaded('attachments').reduce((a, d) => a + d.rows, 0) });
      expect(n.rows[0].r).toBeGreaterThan(rows.reactions * 0.8);
      // The channels' counts, taken as each batch's rows scatter to the four leaves, are what the rows say.
      const byChannel = await c.query(`SELECT channel_id::int AS c, count(*)::int AS n, max(id)::text AS last FROM messages WHERE deleted_at IS NULL GROUP BY channel_id ORDER BY channel_id`);
      expect(byChannel.rows.length).toBeGreaterThan(10);
      const counted = [...counts.count.keys()].filter((i) => counts.count[i] > 0).map((i) => ({ c: i + 1, n: counts.count[i], last: String(counts.lastId[i]) }));
      expect(counted).toEqual(byChannel.rows);
      await c.query('DROP SCHEMA hash_load CASCADE');
    }, 'hash_load');
  });

  it('lets the event loop turn between batches, so timers and other connections run while the sockets take every write at once', async () => {
    // At 100M the load once ran on resolved promises alone for minutes: no timer fired and a
    // connection opened for the next relation timed out in its authentication.
    const variant = loadVariants(SCHEMAS_DIR).find((v) => v.name === 'btree-unpartitioned')!;
    const model = await loadModel(planParams({ messages: 200_000 }));
    const layouts = await withClient(url, async (c) => {
      await c.query('DROP SCHEMA IF EXISTS turn_load CASCADE; CREATE SCHEMA turn_load');
      await runFragments(c, variant, 'turn_load', 'pre-load');
      return readLayouts(c, 'turn_load');
    });
    const designs = [{ variant: 'turns', schema: 'turn_load', layouts, done: new Set<string>() }];
    const target = await openTarget(targetSpec(url, {}));
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    let batches = 0;
    let withoutTurn = 0;
    let seen = 0;
    const onEvent = (e: { type: string }) => {
      if (e.type !== 'chunk') return;
      batches++;
      if (turns === seen) withoutTurn++;
      seen = turns;
    };
    await runPasses({ target, model, designs, passes: planPasses(model, designs, ['messages']), slots: 1, format: 'binary', signal: new AbortController().signal, onEvent, marks: false }).finally(() => (spinning = false));
    await withClient(url, (c) => c.query('DROP SCHEMA turn_load CASCADE'));
    expect(batches).toBeGreaterThan(10);
    expect(withoutTurn, `${withoutTurn} of ${batches} batches followed the previous one without a turn of the event loop`).toBe(0);
  });

  it('refuses a concurrent second seed of the same variant', async () => {
    const first = runCli(['seed', '--db', url, '--messages', '150K', '--variants', 'btree-weekly', '--quiet']);
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const locked = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chatbench seed lock'`)).rows[0].n as number);
      if (locked > 0) break;
    }
    const second = await runCli(['seed', '--db', url, '--messages', '150K', '--variants', 'btree-weekly', '--quiet']);
    expect(second.code, second.stderr).toBe(1);
    expect(oneLineError(second.stderr)).toMatch(/another chatbench seed of variant btree-weekly is running/);
    expect((await first).code).toBe(0);
  });
});
