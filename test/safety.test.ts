// Data safety and secrets: chatbench touches only what it marked as its own, and no password
// reaches any byte it writes (stdout, stderr, results.json, HTML, PNG, Markdown, the server log).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/paths.ts';
import { resolvePaths } from '../src/db/embedded.ts';
import { freshDatabase, oneLineError, runCli, withClient } from './helpers.ts';

const INJECT = 'x"; drop table users; --';

describe('data safety: only what chatbench marked is ever changed', () => {
  let url = '';
  beforeAll(async () => {
    url = await freshDatabase('cbtest_safety');
    await withClient(url, async (c) => {
      // A team's own tables exactly where chatbench would write: its variant schema and its bookkeeping schema.
      await c.query('CREATE SCHEMA chatbench_btree_unpartitioned');
      await c.query('CREATE TABLE chatbench_btree_unpartitioned.users (id int PRIMARY KEY, name text)');
      await c.query(`INSERT INTO chatbench_btree_unpartitioned.users VALUES (1, 'keep me')`);
      await c.query('CREATE SCHEMA chatbench');
      await c.query('CREATE TABLE chatbench.variants (variant text)');
      await c.query(`INSERT INTO chatbench.variants VALUES ('mine')`);
      await c.query('CREATE TABLE public.users (id int PRIMARY KEY, name text)');
      await c.query(`INSERT INTO public.users VALUES (1, 'keep me too')`);
    });
  });

  const intact = async () =>
    withClient(url, async (c) => {
      expect((await c.query('SELECT name FROM chatbench_btree_unpartitioned.users')).rows).toEqual([{ name: 'keep me' }]);
      expect((await c.query('SELECT variant FROM chatbench.variants')).rows).toEqual([{ variant: 'mine' }]);
      expect((await c.query('SELECT name FROM public.users')).rows).toEqual([{ name: 'keep me too' }]);
      expect((await c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname IN ('chatbench', 'chatbench_btree_unpartitioned')`)).rows[0].n).toBe(2);
    });

  it.each<[string, string[], RegExp]>([
    ['schema apply', ['schema', 'apply', '--variant', 'btree-unpartitioned'], /schema chatbench_btree_unpartitioned exists and was not created by chatbench/],
    ['schema revert', ['schema', 'revert', '--variant', 'btree-unpartitioned'], /.*/],
    ['schema revert --force', ['schema', 'revert', '--variant', 'btree-unpartitioned', '--force'], /.*/],
    // The seed looks at the bookkeeping schema before the variant's: either refusal keeps both.
    ['seed --force', ['seed', '--messages', '5000', '--variants', 'btree-unpartitioned', '--force'], /not created by chatbench|schema named chatbench that chatbench did not create/],
    ['another variant (the bookkeeping schema is not ours)', ['schema', 'apply', '--variant', 'brin-weekly'], /schema named chatbench that chatbench did not create/],
    ['retention scenario', ['scenario', 'retention', '--variants', 'btree-unpartitioned', '--duration', '2s'], /not seeded yet/],
    ['check --schema with an injected name', ['check', '--schema', INJECT], /.*/],
  ])('%s refuses, or finds nothing of its own to change, and the tables stay', async (_name, args, message) => {
    const r = await runCli([...args, '--db', url, '--quiet']);
    if (r.code !== 0) expect(oneLineError(r.stderr)).toMatch(message);
    else expect(r.stdout + r.stderr).not.toMatch(/reverted|dropped/i);
    await intact();
  });

  it('db reset asks before deleting, and deletes only the embedded server\'s own folder', async () => {
    const r = await runCli(['db', 'reset', '--db', url]);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/deletes only the embedded server's data/);
    const home = path.join(inject('testHome'), 'reset-me');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, 'notes.txt'), 'mine');
    const ask = await runCli(['db', 'reset'], { env: { CHATBENCH_HOME: home } });
    expect(ask.code).toBe(2);
    expect(oneLineError(ask.stderr)).toMatch(/--yes/);
    const yes = await runCli(['db', 'reset', '--yes'], { env: { CHATBENCH_HOME: home } });
    expect(yes.code, yes.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'notes.txt'), 'utf8')).toBe('mine');
    await intact();
  });
});

describe('secrets', () => {
  const PASSWORD = 'Leak-Canary-7f3e9a1c';
  let url = '';
  const dirs: string[] = [];

  beforeAll(async () => {
    const base = await freshDatabase('cbtest_secrets');
    await withClient(base, async (c) => {
      await c.query('DROP ROLE IF EXISTS leak_canary');
      await c.query(`CREATE ROLE leak_canary LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
    });
    const u = new URL(base);
    u.username = 'leak_canary';
    u.password = PASSWORD;
    url = u.toString();
  });
  afterAll(async () => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a password in the DSN appears in no byte of stdout, stderr, results.json, HTML, PNG, Markdown or the server log', async () => {
    const outputs: string[] = [];
    const run = async (args: string[], expectCode = 0) => {
      const r = await runCli([...args, ...(args.includes('--db') ? [] : ['--db', url]), '--verbose']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(expectCode);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const seeded = await run(['seed', '--messages', '5000', '--variants', 'btree-unpartitioned,brin-weekly', '--json']);
    dirs.push(JSON.parse(seeded.stdout).reportDir);
    const a = JSON.parse((await run(['scenario', 'history-scroll', '--duration', '1s', '--warmup', '0s', '--json'])).stdout).reportDir;
    const b = JSON.parse((await run(['scenario', 'history-scroll', '--duration', '1s', '--warmup', '0s', '--json'])).stdout).reportDir;
    dirs.push(a, b);
    await run(['report', a]);
    const cmp = path.join(inject('testHome'), 'secrets-compare');
    dirs.push(cmp);
    await run(['report', 'compare', a, b, '--out', cmp]);
    // Failures print the URL's host, user and database: never the password.
    await run(['seed', '--messages', '5000', '--variants', 'btree-unpartitioned', '--db', url.replace('cbtest_secrets', 'no_such_db')], 1);
    await run(['schema', 'list', '--db', url.replace(PASSWORD, 'wrong-password')], 1);

    const files = dirs.flatMap((d) => walk(d));
    expect(files.some((f) => f.endsWith('.png'))).toBe(true);
    expect(files.some((f) => f.endsWith('.html'))).toBe(true);
    expect(files.some((f) => f.endsWith('.md'))).toBe(true);
    expect(files.some((f) => f.endsWith('results.json'))).toBe(true);
    const serverLog = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: inject('testHome') }).logFile;
    const needles = [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(PASSWORD).toString('base64')];
    for (const text of outputs) for (const n of needles) expect(text).not.toContain(n);
    for (const f of [...files, serverLog]) {
      const bytes = fs.readFileSync(f);
      for (const n of needles) expect(bytes.includes(Buffer.from(n)), `${n} found in ${f}: ${bytes.toString("utf8").split("\n").filter((l) => l.includes(n)).join(" / ").slice(0, 600)}`).toBe(false);
    }
    // the URL chatbench records is the redacted one
    const results = JSON.parse(fs.readFileSync(path.join(a, 'results.json'), 'utf8'));
    expect(JSON.stringify(results)).toContain('leak_canary@127.0.0.1');
  }, 360_000); // 30 s alone; several seeds, scenarios and reports: four times that with other work beside it

  it('sslmode in the URL is honoured: disable connects in plain text, require refuses a server without TLS', async () => {
    const plain = await runCli(['schema', 'list', '--db', `${url}?sslmode=disable`]);
    expect(plain.code, plain.stderr).toBe(0);
    const tls = await runCli(['schema', 'list', '--db', `${url}?sslmode=require`]);
    expect(tls.code).toBe(1);
    expect(oneLineError(tls.stderr)).toMatch(/does not support SSL/i);
    expect(tls.stderr).not.toContain(PASSWORD);
  });
});

describe('the embedded server', () => {
  it('listens on 127.0.0.1 only, with a generated password in a 0600 file and no trust authentication', async () => {
    const admin = inject('adminUrl');
    await withClient(admin, async (c) => {
      expect((await c.query('SHOW listen_addresses')).rows[0].listen_addresses).toBe('127.0.0.1');
      const rules = (await c.query(`SELECT type, auth_method FROM pg_hba_file_rules WHERE error IS NULL`)).rows as Array<{ type: string; auth_method: string }>;
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules) expect(r.auth_method, JSON.stringify(r)).toBe('scram-sha-256');
    });
    const pgpass = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: inject('testHome') }).pgpassFile;
    expect(fs.statSync(pgpass).mode & 0o777).toBe(0o600);
    const noPassword = new URL(admin);
    noPassword.password = '';
    const r = await runCli(['schema', 'list', '--db', noPassword.toString()], { env: { PGPASSWORD: '', PGPASSFILE: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toMatch(/password/i);
  });
});

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
