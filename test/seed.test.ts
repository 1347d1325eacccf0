// The seeder: exact counts, identical data across variants, worker counts and COPY formats,
// resumable after SIGKILL with exactly the rows of an uninterrupted run, safe with existing data.
import { beforeAll, describe, expect, it } from 'vitest';
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

  it('loads exactly the rows asked for, consistently, and the audit passes on the seeded data', async () => {
    const s = await seed(['--messages', '12345', '--variants', 'brin-weekly', '--days', '20']);
    const v = s.variants[0];
    expect(v.rows.messages).toBe(12_345);
    expect(v.steps.map((x) => x.name)).toEqual(['create', 'load', 'indexes', 'foreign-keys', 'triggers', 'reconcile', 'sequences', 'vacuum-analyze', 'checksums', 'sizes']);
    expect(Object.keys(v.bytes)).toContain('indexes');
    await withClient(url, async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(12_345);
      // denormalised counters reconciled with the rows
      const wrong = await c.query(`SELECT count(*)::int AS n FROM channels c
        WHERE c.message_count <> (SELECT count(*) FROM messages m WHERE m.channel_id = c.id AND m.deleted_at IS NULL)`);
      expect(wrong.rows[0].n).toBe(0);
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
    const r = await runCli(['seed', '--db', url, '--messages', '12345', '--variants', 'brin-weekly', '--days', '20']);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/already holds a seed .*pass --force/);
    const other = await runCli(['seed', '--db', url, '--messages', '999', '--variants', 'brin-weekly']);
    expect(oneLineError(other.stderr)).toMatch(/not the one asked for/);
    const resume = await runCli(['seed', '--db', url, '--messages', '12345', '--variants', 'brin-weekly', '--days', '20', '--resume']);
    expect(oneLineError(resume.stderr)).toMatch(/nothing to resume/);
  });

  it('gives identical tables in every variant, with any number of jobs and either COPY format; another seed differs', async () => {
    const a = await seed(['--messages', '20K', '--variants', 'btree-unpartitioned,brin-weekly', '--jobs', '1', '--format', 'text', '--force']);
    const b = await seed(['--messages', '20K', '--variants', 'btree-unpartitioned', '--jobs', '3', '--format', 'binary', '--force']);
    const ref = contentChecksums(a, 'btree-unpartitioned');
    expect(Object.keys(ref).length).toBeGreaterThanOrEqual(15);
    expect(contentChecksums(a, 'brin-weekly')).toEqual(ref);
    expect(contentChecksums(b, 'btree-unpartitioned')).toEqual(ref);
    const c = await seed(['--messages', '20K', '--variants', 'btree-unpartitioned', '--seed', '7', '--force']);
    expect(contentChecksums(c, 'btree-unpartitioned').messages).not.toBe(ref.messages);
  });

  it('resumes after SIGKILL mid-load and ends with the rows of an uninterrupted run', async () => {
    const args = ['seed', '--db', url, '--messages', '200K', '--variants', 'btree-monthly', '--jobs', '1', '--quiet'];
    let pid = 0;
    const run = runCli(args, { onSpawn: (p) => (pid = p) });
    // wait until some message chunks are committed, then kill -9 in the middle of the load
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const n = await withClient(url, async (c) => {
        const ok = await c.query(`SELECT to_regclass('chatbench.seed_chunks') IS NOT NULL AS ok`);
        if (!ok.rows[0].ok) return 0;
        return (await c.query(`SELECT count(*)::int AS n FROM chatbench.seed_chunks WHERE variant = 'btree-monthly' AND table_name = 'messages'`)).rows[0].n as number;
      });
      if (n >= 1) break;
    }
    process.kill(pid, 'SIGKILL');
    const killed = await run;
    expect(killed.signal).toBe('SIGKILL');
    const partial = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM chatbench.seed_chunks WHERE variant = 'btree-monthly' AND table_name = 'messages'`)).rows[0].n as number);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(8); // 200K messages are 8 chunks of 25K
    // the same command again continues from the committed chunks
    const resumed = await runCli([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const r = JSON.parse(resumed.stdout) as SeedJson;
    expect(r.variants[0].rows.messages).toBe(200_000);
    const reference = await seed(['--messages', '200K', '--variants', 'btree-unpartitioned', '--force']);
    expect(contentChecksums(r, 'btree-monthly')).toEqual(contentChecksums(reference, 'btree-unpartitioned'));
  });

  it('refuses a concurrent second seed of the same variant', async () => {
    const first = runCli(['seed', '--db', url, '--messages', '150K', '--variants', 'btree-weekly', '--quiet']);
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const locked = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chatbench seed lock'`)).rows[0].n as number);
      if (locked > 0) break;
    }
    const second = await runCli(['seed', '--db', url, '--messages', '150K', '--variants', 'btree-weekly', '--quiet']);
    expect(second.code).toBe(1);
    expect(oneLineError(second.stderr)).toMatch(/another chatbench seed of variant btree-weekly is running/);
    expect((await first).code).toBe(0);
  });
});
