// Bad input, command by command: every flag's invalid values, unknown and conflicting flags, bad
// --db URLs, names built to inject SQL, broken results files, scenario files and variant SQL. Each
// gives one line on stderr, exit 2 for usage and 1 for runtime, no stack trace, and changes nothing:
// every row that could write names a real database, which must still hold nothing afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORTS_DIR, SCHEMAS_DIR } from '../src/config/paths.ts';
import { freshDatabase, oneLineError, runCli, runInProcess, withClient } from './helpers.ts';

const INJECT = 'x"; drop table users; --';
let url = '';
let tmp = '';
let reportsBefore: string[] = [];

const listReports = () => (fs.existsSync(REPORTS_DIR) ? fs.readdirSync(REPORTS_DIR).sort() : []);

beforeAll(async () => {
  url = await freshDatabase('cbtest_bad_input');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-bad-input-'));
  reportsBefore = listReports();
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

// [arguments, message]; '@db' is replaced by the test database's URL.
const USAGE: Array<[string[], RegExp]> = [
  // seed
  [['seed', '--messages', '12X', '--db', '@db'], /invalid value "12X" for --messages: expected a count/],
  [['seed', '--messages', '', '--db', '@db'], /for --messages/],
  [['seed', '--messages', '1e6', '--db', '@db'], /invalid value "1e6" for --messages/],
  [['seed', '--users', '0', '--db', '@db'], /invalid value "0" for --users/],
  [['seed', '--users', 'many', '--db', '@db'], /invalid value "many" for --users/],
  [['seed', '--servers', '-1', '--db', '@db'], /for --servers/],
  [['seed', '--days', '0', '--db', '@db'], /invalid value "0" for --days/],
  [['seed', '--days', '3.5', '--db', '@db'], /invalid value "3.5" for --days/],
  [['seed', '--start', 'yesterday', '--db', '@db'], /invalid value "yesterday" for --start/],
  [['seed', '--seed', '1.5', '--db', '@db'], /invalid value "1.5" for --seed/],
  [['seed', '--jobs', '65', '--db', '@db'], /invalid value "65" for --jobs: expected an integer from 1 to 64/],
  [['seed', '--format', 'csv', '--db', '@db'], /invalid value "csv" for --format: expected text or binary/],
  [['seed', '--variants', INJECT, '--db', '@db'], /for --variants: expected one or more of btree-unpartitioned/],
  [['seed', '--variants', 'btree-monthly,', '--db', '@db'], /invalid value "btree-monthly," for --variants: expected a comma-separated list .* with no empty name/],
  [['seed', '--messages', '5000', '--bogus', '--db', '@db'], /unknown option --bogus/],
  // scenario
  [['scenario', INJECT, '--db', '@db'], /unknown scenario "x\\"; drop table users; --": expected one of channel-day, chat-mix/],
  [['scenario', 'scenarios/history-scroll.js', '--db', '@db'], /expected a \.ts file/],
  [['scenario', './no/such/scenario.ts', '--db', '@db'], /scenario file .*no\/such\/scenario\.ts does not exist/],
  [['scenario', 'history-scroll', '--variants', INJECT, '--db', '@db'], /for --variants: expected one or more of/],
  [['scenario', 'history-scroll', '--duration', '0', '--db', '@db'], /invalid value "0" for --duration: expected a positive duration/],
  [['scenario', 'history-scroll', '--duration', '500ms', '--db', '@db'], /invalid value "500ms" for --duration: expected at least 1s/],
  [['scenario', 'history-scroll', '--duration', '5 minutes', '--db', '@db'], /invalid value "5 minutes" for --duration/],
  [['scenario', 'history-scroll', '--warmup=-1s', '--db', '@db'], /invalid value "-1s" for --warmup/],
  [['scenario', 'history-scroll', '--concurrency', '0', '--db', '@db'], /invalid value "0" for --concurrency: expected an integer from 1 to 10000/],
  [['scenario', 'history-scroll', '--connections', '1001', '--db', '@db'], /invalid value "1001" for --connections/],
  [['scenario', 'history-scroll', '--rate', '0', '--db', '@db'], /invalid value "0" for --rate/],
  [['scenario', 'history-scroll', '--rate', 'fast', '--db', '@db'], /invalid value "fast" for --rate/],
  [['scenario', 'history-scroll', '--rate', '10', '--concurrency', '4', '--db', '@db'], /--rate and --concurrency cannot be used together/],
  [['scenario', 'history-scroll', '--arrivals', 'bursty', '--rate', '10', '--db', '@db'], /invalid value "bursty" for --arrivals: expected poisson or uniform/],
  [['scenario', 'history-scroll', '--arrivals', 'uniform', '--db', '@db'], /--arrivals applies to the open loop: give --rate too/],
  [['scenario', 'history-scroll', '--max-lag', '1s', '--db', '@db'], /--max-lag applies to the open loop/],
  [['scenario', 'history-scroll', '--op-timeout', 'never', '--db', '@db'], /invalid value "never" for --op-timeout/],
  [['scenario', 'history-scroll', '--op-timeout', '0', '--db', '@db'], /invalid value "0" for --op-timeout/],
  [['scenario', 'history-scroll', '--seed', '-3', '--db', '@db'], /invalid value "-3" for --seed/],
  [['scenario', 'history-scroll', '--mode', 'turbo', '--db', '@db'], /invalid value "turbo" for --mode/],
  [['scenario', 'history-scroll', '--out', '  ', '--db', '@db'], /invalid value .* for --out: expected a folder path/],
  [['scenario', 'retention', '--retention-method', 'truncate', '--db', '@db'], /invalid value "truncate" for --retention-method: expected delete, detach, detach-concurrently/],
  [['scenario', 'history-scroll', '--retention-method', 'delete', '--db', '@db'], /--retention-method applies to scenarios that purge old history \(retention\), not to history-scroll/],
  [['scenario', 'history-scroll', '--plan-cache', 'sometimes', '--db', '@db'], /invalid value "sometimes" for --plan-cache: expected auto, custom or generic/],
  [['scenario', 'history-scroll', '--workers', '0', '--db', '@db'], /invalid value "0" for --workers/],
  [['scenario', 'history-scroll', '--rounds', 'many', '--db', '@db'], /invalid value "many" for --rounds/],
  [['scenario', 'history-scroll', '--rounds', '5', '--duration', '3s', '--db', '@db'], /invalid value "5" for --rounds: expected at most 3 for --duration 3s/],
  [['scenario', 'retention', '--rounds', '2', '--db', '@db'], /--rounds 2: retention's drop-old-month happens once per variant/],
  [['bench', 'fidelity', '--repeats', '0'], /invalid value "0" for --repeats/],
  // report
  [['report', 'compare', 'a', 'b', '--threshold=-5%'], /invalid value "-5%" for --threshold/],
  [['report', 'compare', 'a', 'b', '--threshold', '10 percent'], /invalid value "10 percent" for --threshold/],
  [['report', '/no/such/run'], /no\/such\/run/],
  [['report', 'list', '--threshold', '5%'], /--threshold, --fail-on-regression and --out apply to "report compare"/],
  // schema and check
  [['schema', 'drop', '--db', '@db'], /invalid value "drop" for action/],
  [['schema', 'apply', '--variant', INJECT, '--db', '@db'], /for --variant: expected/],
  [['schema', 'apply', '--variant', 'brin-weekly', '--days', '0', '--db', '@db'], /invalid value "0" for --days/],
  [['schema', 'apply', '--variant', 'brin-weekly', '--start', '2026-13-45', '--db', '@db'], /invalid value "2026-13-45" for --start/],
  [['check', '--variant', 'nope', '--db', '@db'], /for --variant: expected/],
  // db and bench
  [['db', 'url', '--variant', INJECT], /for --variant: expected/],
  [['bench', 'everything'], /invalid value "everything" for which/],
  [['bench', 'ingest', '--messages', '0'], /invalid value "0" for --messages/],
  [['bench', 'replay', '--concurrency', 'lots'], /invalid value "lots" for --concurrency/],
  [['bench', 'replay', '--rate', '-1'], /for --rate/],
  [['bench', 'ingest', '--variant', 'nope'], /for --variant: expected/],
  // a flag twice: "--db a --db b" must not reach the URL parser as "a,b" (it once sent a password to the server as a database name)
  [['schema', 'list', '--db', 'postgres://u:topsecret@127.0.0.1/a', '--db', '@db'], /--db was given 2 times: give it once/],
  [['seed', '--messages', '5K', '--messages', '6K', '--db', '@db'], /--messages was given 2 times/],
  // --db URLs
  [['schema', 'list', '--db', 'postgres://u@127.0.0.1:70000/d'], /invalid value "postgres:\/\/u@127.0.0.1:70000\/d" for --db: expected a URL/],
  [['schema', 'list', '--db', 'postgres://u@127.0.0.1/d?sslmode=maybe'], /invalid value "maybe" for sslmode in the --db URL: expected disable, allow, prefer, require, verify-ca or verify-full/],
  [['schema', 'list', '--db', 'postgres://u@127.0.0.1/d?connect_timeout=soon'], /for connect_timeout in the --db URL: expected whole seconds/],
  [['schema', 'list', '--db', 'postgres://u@127.0.0.1/d?pool_size=5'], /unsupported parameter "pool_size" in the --db URL: chatbench understands sslmode/],
  [['schema', 'list', '--db', 'http://u:topsecret@127.0.0.1/d'], /for --db: expected a URL/],
];

describe('usage errors: one line, exit 2, nothing created', () => {
  it.each(USAGE)('%j', async (args, message) => {
    const r = await runInProcess(args.map((a) => (a === '@db' ? url : a)));
    expect(r.code, r.stderr).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('topsecret');
  });

  it('the same contract holds in a real process, for one error of each command', async () => {
    for (const args of [['seed', '--messages', '0'], ['scenario', INJECT], ['report', 'compare', 'x'], ['schema', 'apply', '--variant', INJECT], ['db', 'frob'], ['bench', 'x']]) {
      const r = await runCli([...args, '--db', url]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      oneLineError(r.stderr);
    }
  });

  it('left nothing behind: no schema in the database, no report folder', async () => {
    const schemas = await withClient(url, async (c) => (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'chatbench%'`)).rows);
    expect(schemas).toEqual([]);
    // Other test files run beside this one and write report folders of their own, each naming its
    // own database in the command it records: a new folder is this file's if it names cbtest_bad_input.
    const ours = listReports()
      .filter((d) => !reportsBefore.includes(d))
      .filter((d) => {
        const file = path.join(REPORTS_DIR, d, 'results.json');
        return !fs.existsSync(file) || fs.readFileSync(file, 'utf8').includes('cbtest_bad_input');
      });
    expect(ours).toEqual([]);
  });
});

describe('broken files: results, scenario files, variant SQL', () => {
  const results = (name: string, content: string) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'results.json'), content);
    return dir;
  };
  const valid = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'results-scenario.json'), 'utf8'));
  const op = valid.variants[0].operations[0];

  it.each<[string, string, RegExp]>([
    ['malformed', '{"schemaVersion": 1, ', /malformed\/results\.json: .*JSON/],
    ['future', JSON.stringify({ ...valid, schemaVersion: 9 }), /future\/results\.json: schemaVersion 9 was written by a newer chatbench/],
    ['no-variants', JSON.stringify({ ...valid, variants: undefined }), /no-variants\/results\.json: missing variants/],
    ['bad-kind', JSON.stringify({ ...valid, kind: 'mystery' }), /bad-kind\/results\.json: unknown kind mystery/],
    ['broken-identity', JSON.stringify({ ...valid, variants: [{ ...valid.variants[0], variant: 'v', operations: [{ ...op, name: 'op', attempted: 5, ok: 1, failed: 1, dropped: 0, errors: { '57014': { count: 1, name: 'query_canceled', example: 'canceled' } } }] }] }), /broken-identity\/results\.json: v\/op: attempted 5 != ok 1 \+ failed 1 \+ dropped 0/],
  ])('report of a %s results.json names the file and the field', async (name, content, message) => {
    const r = await runInProcess(['report', results(name, content)]);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(message);
    expect(fs.readdirSync(path.join(tmp, name))).toEqual(['results.json']); // no report written next to it
  });

  it('a scenario file with a syntax error, or one that throws, is named with its line', async () => {
    const syntax = path.join(tmp, 'broken-syntax.ts');
    fs.writeFileSync(syntax, "// a scenario\nexport default {\n  name: 'broken-syntax',,\n};\n");
    const throws = path.join(tmp, 'throws.ts');
    fs.writeFileSync(throws, "// a scenario\n\nthrow new Error('no such table in my head');\n");
    const invalid = path.join(tmp, 'not-a-scenario.ts');
    fs.writeFileSync(invalid, 'export default { name: "other" };\n');
    for (const [file, message] of [
      [syntax, /broken-syntax\.ts failed to load: line 3:\d+: /],
      [throws, /throws\.ts failed to load: line 3:\d+: no such table in my head/],
      [invalid, /invalid scenario .*not-a-scenario\.ts: name "other" must match the file name/],
    ] as const) {
      const r = await runCli(['scenario', file, '--db', url]);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLineError(r.stderr)).toMatch(message);
    }
  });

  it('a variant whose SQL fails names the file, the statement and the server error, and leaves nothing', async () => {
    const copy = path.join(tmp, 'schemas');
    fs.cpSync(SCHEMAS_DIR, copy, { recursive: true });
    const fragment = path.join(copy, 'fragments', '05_keys.up.sql');
    const before = fs.readFileSync(fragment, 'utf8');
    fs.writeFileSync(fragment, `${before}\nCREATE INDEX messages_typo_idx ON messages (chanel_id);\n`);
    const r = await runCli(['schema', 'apply', '--variant', 'btree-unpartitioned', '--db', url], { env: { CHATBENCH_SCHEMAS: copy } });
    expect(r.code, r.stderr).toBe(1);
    const line = oneLineError(r.stderr);
    expect(line).toContain(fragment);
    expect(line).toMatch(/statement at line \d+ \(CREATE INDEX messages_typo_idx ON messages \(chanel_id\)\) failed: column "chanel_id" does not exist .*SQLSTATE 42703/);
    const schemas = await withClient(url, async (c) => (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'chatbench%'`)).rows);
    expect(schemas).toEqual([]); // one transaction: nothing half-applied
  });
});
