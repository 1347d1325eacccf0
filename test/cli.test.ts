// The command line's contract: --help everywhere, usage errors as one line with exit code 2,
// runtime failures as one line with exit code 1, and no password in any output.
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, oneLineError, runCli, runInProcess } from './helpers.ts';

const COMMANDS = ['seed', 'scenario', 'report', 'schema', 'check', 'db', 'bench', 'quickstart'];

let url = '';
beforeAll(async () => {
  url = await freshDatabase('cbtest_cli');
});

describe('--help', () => {
  it('prints the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c);
  });
  it.each(COMMANDS)('%s --help', async (c) => {
    const r = await runCli([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Options:/);
  });
});

describe('usage errors: exit 2, one line naming the flag, the value and what is allowed', () => {
  it.each<[string[], RegExp]>([
    [['frobnicate'], /unknown command "frobnicate": expected one of seed, scenario/],
    [[], /missing command: expected one of/],
    [['seed', '--bogus', '1'], /unknown option --bogus/],
    [['seed', '--messages', '100X'], /invalid value "100X" for --messages: expected a count such as 5000, 250K, 2.5M or 1B/],
    [['seed', '--messages', '0'], /invalid value "0" for --messages: expected a positive count/],
    [['seed', '--messages', '2.5'], /for --messages: expected a whole number/],
    [['seed', '--messages', '-5'], /invalid value "-5" for --messages/],
    [['seed', '--messages', '99999999999999'], /for --messages: expected at most/],
    [['seed', '--variants', 'nope'], /invalid value "nope" for --variants: expected one or more of btree-unpartitioned/],
    [['seed', '--jobs', '0'], /invalid value "0" for --jobs: expected an integer from 1 to 64/],
    [['seed', '--start', '2019-01-01'], /for --start: expected a date from 2020-01-01 on/],
    [['seed', '--resume', '--force'], /--resume and --force cannot be used together/],
    [['seed', '--servers', '50', '--users', '10'], /for --servers: expected at most --users/],
    [['scenario', 'nope'], /unknown scenario "nope": expected one of channel-day, chat-mix, dm-inbox/],
    [['scenario', 'history-scroll', '--duration', '10x'], /invalid value "10x" for --duration/],
    [['scenario', 'history-scroll', '--rate', '10', '--concurrency', '2'], /--rate and --concurrency cannot be used together/],
    [['scenario', 'history-scroll', '--mode', 'fast'], /invalid value "fast" for --mode: expected load or micro/],
    [['db', 'nope'], /invalid value "nope" for action/],
    [['db', 'url', '--variant', 'nope'], /invalid value "nope" for --variant/],
    [['schema', 'export', '--variant', 'brin-weekly'], /missing --out/],
    [['seed', '--db', 'not a url'], /invalid value "not a url" for --db: expected a URL such as postgres:\/\//],
    [['seed', '--db', 'mysql://root:topsecret@h/d'], /for --db: expected a URL/],
    [['report', 'compare', 'only-one'], /needs two or more run folders/],
    [['report', 'compare', 'a', 'b', '--threshold', 'lots'], /invalid value "lots" for --threshold/],
  ])('%j', async (args, message) => {
    // In-process (the real main(), no process start); bad-input.test.ts runs one per command as a process.
    const r = await runInProcess(args);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(message);
    expect(r.stderr).not.toContain('topsecret');
  });

  it('checks DATABASE_URL like --db', async () => {
    const r = await runInProcess(['schema', 'list'], { DATABASE_URL: 'postgres:///nohost' });
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/for DATABASE_URL: expected a URL/);
  });
});

describe('runtime failures: exit 1, one line, host and port, no password', () => {
  it('an unreachable server', async () => {
    const r = await runCli(['schema', 'list', '--db', 'postgres://app:hunter22@127.0.0.1:1/x']);
    expect(r.code).toBe(1);
    const line = oneLineError(r.stderr);
    expect(line).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1 .*connection refused/);
    expect(r.stderr + r.stdout).not.toContain('hunter22');
  });
  it('a wrong password', async () => {
    const bad = new URL(url);
    bad.password = 'wrong-password-123';
    const r = await runCli(['schema', 'list', '--db', bad.toString()]);
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toMatch(/password authentication failed .*SQLSTATE 28P01/);
    expect(r.stderr).not.toContain('wrong-password-123');
  });
  it('the real password never appears in any output, even with --json and --verbose', async () => {
    const password = decodeURIComponent(new URL(url).password);
    const ok = await runCli(['db', 'status', '--db', url, '--json', '--verbose']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/cbtest_cli$/);
    const fail = await runCli(['seed', '--messages', '5000', '--variants', 'btree-unpartitioned', '--db', url.replace('cbtest_cli', 'no_such_db'), '--verbose']);
    expect(fail.code).toBe(1);
    for (const r of [ok, fail]) expect(r.stdout + r.stderr).not.toContain(password);
  });
});
