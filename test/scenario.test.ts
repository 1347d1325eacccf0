// The scenario runner on real data (50K messages): every shipped scenario on each design where it
// can differ, answer checks (and writes never reaching what they read), counter identities,
// pg_stat_statements agreeing with chatbench's counts, open-loop latency that includes a stall, and
// Ctrl-C writing partial results. Last, on the same data (it removes history): the three retention
// methods remove the same rows on every kind of layout, and a concurrent purge interrupted between
// its statements is finished by the next one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { SCHEMAS_DIR } from '../src/config/paths.ts';
import { DEFAULT_SEED } from '../src/generate/defaults.ts';
import { loadModel, modelParamsOf } from '../src/generate/model.ts';
import { checkIdentities, readResults, writeResults } from '../src/results/io.ts';
import type { ScenarioResults } from '../src/results/types.ts';
import { seedRecords } from '../src/schema/bookkeeping.ts';
import { answerChecks } from '../src/scenario/checks.ts';
import { loadAllScenarios, loadScenario, scenarioFile, scenarioNames } from '../src/scenario/registry.ts';
import { runScenario } from '../src/scenario/engine.ts';
import { scenarioRunConfig, type ScenarioChoices } from '../src/config/scenario.ts';
import { targetSpec } from '../src/config/target.ts';
import { openTarget } from '../src/db/target.ts';
import { LeanConnection } from '../src/db/lean-connection.ts';
import { clientConfig, paramsFromUrl } from '../src/db/target.ts';
import { chatbenchTypes } from '../src/db/type-parsers.ts';
import { makeVirtualUser, nextOp, weightOf, type Op } from '../src/scenario/executor.ts';
import { statementName } from '../src/scenario/load-protocol.ts';
import { buildWorld, vuKey } from '../src/scenario/world.ts';
import { loadVariants, rangeUnit, schemaNameOf } from '../src/schema/variants.ts';
import { purgeMessagesBefore, retentionMethodOf, type RetentionMethod } from '../src/schema/retention.ts';
import { freshDatabase, oneLineError, runCli, withClient } from './helpers.ts';

const all = loadVariants(SCHEMAS_DIR);
const variants = all.map((v) => v.name);
let url = '';

beforeAll(async () => {
  url = await freshDatabase('cbtest_scenario');
  const r = await runCli(['seed', '--db', url, '--messages', '50K', '--variants', 'all', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
});

/**
 * A scenario run through the engine's API in this process: the command's own config function and
 * engine, without the process start and the report rendering (seconds a run, which the tests of the
 * command itself pay). The results still go through their file and its validation.
 */
async function engineRun(name: string, choices: ScenarioChoices, phaseMs?: number): Promise<ScenarioResults> {
  const s = await loadScenario(name);
  const cfg = scenarioRunConfig(choices, s, scenarioFile(name), all);
  // The command measures at least 1 s a round; the sweep's checks need less (sweepDurationMs).
  const run = phaseMs === undefined ? cfg.run : { ...cfg.run, durationMs: phaseMs };
  const target = await openTarget(targetSpec(url, {}));
  try {
    // A test that times out is failed but runs on: its run is stopped when the test ends, as Ctrl-C
    // stops a command, instead of loading the server under the next tests.
    const stop = new AbortController();
    onTestFinished(() => stop.abort());
    const results = await runScenario(target, run, stop.signal, () => {}, { command: `scenario ${name} (in-process)` });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cbtest-scenario-${path.basename(name, '.ts')}-`));
    try {
      writeResults(dir, results);
      return readResults(dir) as ScenarioResults;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await target.close();
  }
}

async function scenario(name: string, args: string[]): Promise<{ json: { reportDir: string }; results: ScenarioResults; stdout: string }> {
  const r = await runCli(['scenario', name, '--db', url, '--json', '--quiet', ...args]);
  expect(r.code, `${name}: ${r.stderr}`).toBe(0);
  const json = JSON.parse(r.stdout);
  return { json, results: readResults(json.reportDir) as ScenarioResults, stdout: r.stdout };
}

/**
 * What answer checks may read of "reader" users (ids not divisible by 4, docs/SCENARIOS.md): their
 * read states, and the messages and reactions they wrote. Writing scenarios must leave it as seeded.
 */
async function readersState(schema: string): Promise<unknown[]> {
  return withClient(
    url,
    async (c) => [
      (await c.query(`SELECT user_id, channel_id, last_read_message_id, mention_count FROM read_states WHERE user_id % 4 <> 0 ORDER BY 1, 2`)).rows,
      (await c.query(`SELECT count(*)::int AS n, max(id)::text AS last FROM messages WHERE author_id % 4 <> 0`)).rows,
      (await c.query(`SELECT count(*)::int AS n FROM reactions WHERE user_id % 4 <> 0`)).rows,
    ],
    schema,
  );
}

describe('writes never reach what answer checks read', () => {
  it('answer checks disagreed after writing scenarios ran for different lengths on two designs (readers were sending and marking channels read)', async () => {
    const designs = ['btree-unpartitioned', 'btree-monthly-fts'];
    const schemas = designs.map((d) => `chatbench_${d.replaceAll('-', '_')}`);
    const before = await readersState(schemas[0]);
    expect(await readersState(schemas[1])).toEqual(before);
    // Each design gets a different number of writes: runs are timed, and one design runs longer.
    for (const [design, seconds] of [[designs[0], 1], [designs[1], 2]] as const) {
      for (const name of ['chat-mix', 'send-burst']) {
        await engineRun(name, { variants: all.filter((v) => v.name === design), durationMs: seconds * 1000, warmupMs: 0, explain: false });
      }
    }
    for (const schema of schemas) expect(await readersState(schema), schema).toEqual(before);

    // And so every scenario's answer checks still agree between the two.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const clients: Array<{ variant: string; client: pg.Client }> = [];
    try {
      const plan = (await seedRecords(admin, designs)).get(designs[0])!.plan;
      const model = await loadModel(modelParamsOf(plan));
      for (const [k, variant] of designs.entries()) {
        const client = new pg.Client({ connectionString: url, options: `-c search_path=${schemas[k]},public` });
        await client.connect();
        clients.push({ variant, client });
      }
      for (const s of await loadAllScenarios()) {
        const ops = s.operations.map((def, index) => ({ def, index, statement: `check_${s.name}_${index}`.replace(/[^a-z0-9_]/gi, '_') }));
        const checks = await answerChecks(s, ops, buildWorld(model, plan.endMs + 1000, () => 0), DEFAULT_SEED, clients);
        const mismatches = checks.filter((c) => !c.ok);
        expect(mismatches, `${s.name}: ${JSON.stringify(mismatches.slice(0, 2))}`).toEqual([]);
      }
    } finally {
      await Promise.all([admin, ...clients.map((c) => c.client)].map((c) => c.end()));
    }
  }, 250_000); // 49 s quiet before it ran in-process (34 s beside a 10M seed after); over 120 s beside a 100M seed
});

/**
 * The variants a scenario runs on in the sweep, where another would prove nothing more:
 * - btree-monthly-fts and btree-monthly-no-trigger are btree-monthly plus a GIN index or minus the
 *   counter trigger: only searches and writes (chat-mix, send-burst) see the difference;
 * - permissions reads no table a design changes: two designs, so its answers are still compared;
 * - retention's setup copies a month into each design (a third of the sweep on all eleven): one design
 *   per path of purge_messages_before() (a DELETE with cascading keys, a DELETE of the hash design's
 *   children first, monthly and weekly detach-and-drop by time, and by id).
 */
function sweepVariants(name: string): string[] {
  if (name === 'retention') return ['btree-unpartitioned', 'btree-monthly', 'btree-idrange-weekly', 'hash-channel-16', 'brin-weekly'];
  if (name === 'permissions') return ['btree-unpartitioned', 'brin-weekly'];
  if (['search', 'chat-mix', 'send-burst'].includes(name)) return variants;
  return variants.filter((v) => v !== 'btree-monthly-fts' && v !== 'btree-monthly-no-trigger');
}

/**
 * The sweep's measured phase per design (the command's least is 1 s; these checks need less): long
 * enough that every operation of the scenario still runs many times, so "no failures" covers each.
 * The rarest operation's ok count on its slowest design, 50K messages, 2 cores, 2026-12-01: in a 1 s
 * phase beside a busy neighbour (load average 7-11), channel-day 285, dm-inbox 552, permissions 246,
 * unread-counts 370, send-burst 88, jump-to-message 58, history-scroll 26; in the phases below (load
 * average 3), channel-day 154, dm-inbox 150, permissions 398, unread-counts 31, send-burst 16,
 * jump-to-message 22, history-scroll 52. chat-mix (4 in 1 s), search (11) and time-range-scan (6)
 * keep 1 s, and so does retention, whose purge comes 30% into the phase.
 */
function sweepDurationMs(name: string): number {
  if (['channel-day', 'dm-inbox', 'permissions', 'unread-counts'].includes(name)) return 250;
  if (name === 'send-burst') return 300;
  if (name === 'jump-to-message') return 400;
  if (name === 'history-scroll') return 800;
  return 1000;
}

describe('every scenario on every variant', () => {
  it.each(scenarioNames())('%s: runs on each design where it can differ, without errors, and its answers agree', async (name) => {
    const results = await engineRun(name, { variants: sweepVariants(name).map((n) => all.find((v) => v.name === n)!), durationMs: 1000, warmupMs: 0, explain: false }, sweepDurationMs(name));
    expect(results.variants.map((v) => v.variant)).toEqual(sweepVariants(name));
    expect(results.config.durationMs).toBe(sweepDurationMs(name));
    checkIdentities(results); // attempted = ok + failed + dropped; errors by SQLSTATE sum to failed
    for (const v of results.variants) {
      const total = v.operations.reduce((a, o) => a + o.ok, 0);
      expect(total, `${name} on ${v.variant}`).toBeGreaterThan(0);
      for (const o of v.operations) expect(o.failed, `${name}/${o.name} on ${v.variant}: ${JSON.stringify(o.errors)}`).toBe(0);
    }
    const mismatches = results.answerChecks.filter((c) => !c.ok);
    expect(mismatches, JSON.stringify(mismatches.slice(0, 2))).toEqual([]);
    if (results.scenario.operations.some((o) => o.kind === 'read')) expect(results.answerChecks.length).toBeGreaterThan(0);
    if (name === 'retention') {
      expect(results.config.retentionMethod).toBe('detach');
      for (const v of results.variants) expect(v.event?.retentionMethod?.used, v.variant).toBe(rangeUnit(all.find((x) => x.name === v.variant)!) ? 'detach' : 'delete');
    }
  }, 600_000);
});

describe('the lean path', () => {
  it('returns the same rows as node-postgres on every read of every scenario, on two designs', async () => {
    const seeded = await withClient(url, async (c) => (await seedRecords(c, ['btree-unpartitioned'])).get('btree-unpartitioned')!.plan);
    const model = await loadModel(modelParamsOf(seeded));
    const world = buildWorld(model, seeded.endMs + 1000, () => 0);
    let compared = 0;
    for (const schema of ['chatbench_btree_unpartitioned', 'chatbench_btree_weekly']) {
      const full = new pg.Client({ connectionString: url, options: `-c search_path=${schema},public`, types: chatbenchTypes });
      await full.connect();
      const lean = await LeanConnection.connect(clientConfig(paramsFromUrl(new URL(url)), { schema }));
      try {
        for (const name of scenarioNames()) {
          const scenario = await loadScenario(name);
          const ops: Op[] = scenario.operations.map((def, index) => ({ def, index, statement: statementName(scenario, def.name) }));
          const load = ops.filter((o) => o.def.name !== scenario.event?.operation);
          const total = load.reduce((a, o) => a + weightOf(o), 0);
          for (let u = 0; u < 2; u++) {
            const vu = makeVirtualUser(u, vuKey(7, name, u, 'check'), world, 'check', scenario);
            for (let step = 0; step < 6; step++) {
              const op = nextOp(scenario, load, vu, total);
              if (op.def.kind !== 'read') continue; // writes are not compared (answer checks skip them too)
              const params = op.def.params(vu);
              const expected = (await full.query({ text: op.def.sql, values: params, rowMode: 'array' })).rows as unknown[][];
              const rows = await lean.query(op.statement, op.def.sql, params);
              const got = Array.from({ length: rows.length }, (_, i) => rows.row(i));
              expect(got, `${name}/${op.def.name} on ${schema} with ${JSON.stringify(params)}`).toEqual(expected);
              op.def.after?.(vu, rows);
              compared++;
            }
          }
        }
      } finally {
        await full.end();
        await lean.close();
      }
    }
    expect(compared).toBeGreaterThan(30);
  });
});

describe('measurement truth', () => {
  it('with two load threads: identities hold, every ok is a server call, and the plan kinds forced are the ones recorded', async () => {
    for (const mode of ['generic', 'custom'] as const) {
      const { results } = await scenario('history-scroll', ['--variants', 'btree-unpartitioned', '--duration', '2s', '--warmup', '300ms', '--workers', '2', '--plan-cache', mode]);
      checkIdentities(results);
      expect(results.config).toMatchObject({ workers: 2, planCache: mode });
      for (const o of results.variants[0].operations) {
        expect(o.server!.calls, `${mode}: ${o.name}`).toBe(o.ok);
        expect(o.planKinds, `${mode}: ${o.name}`).toBeDefined();
        // one entry per connection (4 users on 4 connections, over 2 threads)
        expect(o.planKinds!.perConnection.length).toBe(4);
        expect(o.planKinds!.mixed).toBe(false);
        expect(mode === 'generic' ? o.planKinds!.custom : o.planKinds!.generic).toBe(0);
        expect(mode === 'generic' ? o.planKinds!.generic : o.planKinds!.custom).toBe(o.ok);
        expect(o.plan?.kind).toBe(mode);
        expect(o.plan?.timings?.generic.execMs).toBeGreaterThan(0);
      }
      expect(results.harness?.floorUs.p50).toBeGreaterThan(0);
    }
  }, 150_000); // 30 s quiet, 69 s beside a 100M seed

  it('open loop with a backlog: one user draws its operations and parameters in the same order as the closed loop', async () => {
    // Each operation takes 4 ms and the open loop asks 400/s of one connection: arrivals queue up.
    // The fixture records what the server received, in order.
    const fixture = './test/fixtures/scenarios/draw-order.ts';
    const design = all.filter((v) => v.name === 'btree-unpartitioned');
    const drawn = async (choices: ScenarioChoices) => {
      await withClient(url, (c) => c.query('DROP TABLE IF EXISTS public.cbtest_draws'));
      const results = await engineRun(fixture, { variants: design, durationMs: 1000, warmupMs: 0, rounds: 1, explain: false, seed: 11, ...choices });
      const rows = await withClient(url, async (c) => (await c.query(`SELECT op || ':' || v AS d FROM public.cbtest_draws ORDER BY n`)).rows.map((r) => r.d as string));
      return { rows, results };
    };
    const closed = await drawn({ concurrency: 1 });
    const open = await drawn({ ratePerSec: 400, connections: 1 });
    await withClient(url, (c) => c.query('DROP TABLE IF EXISTS public.cbtest_draws'));
    const op = open.results.variants[0].operations;
    expect(op.reduce((n, o) => n + o.dropped, 0), 'the open loop had no backlog').toBeGreaterThan(20);
    const n = Math.min(closed.rows.length, open.rows.length);
    expect(n).toBeGreaterThan(20);
    expect(new Set(open.rows.slice(0, n).map((d) => d[0])).size, 'both operations drawn').toBe(2);
    expect(open.rows.slice(0, n)).toEqual(closed.rows.slice(0, n));
  }, 60_000);

  it('rounds interleave the designs and the verdict gives each ratio with its spread', async () => {
    const { results, stdout } = await scenario('history-scroll', ['--variants', 'btree-unpartitioned,btree-weekly', '--duration', '2s', '--warmup', '200ms', '--rounds', '2', '--no-explain']);
    expect(results.config.rounds).toBe(2);
    expect(results.harness!.roundsP50Us).toHaveLength(2);
    for (const v of results.variants) for (const o of v.operations) {
      expect(o.rounds).toHaveLength(2);
      expect(o.rounds!.reduce((a, x) => a + x.ok, 0)).toBe(o.ok);
      expect(o.server!.calls).toBe(o.ok);
    }
    expect(JSON.parse(stdout).reportDir).toBeTruthy();
  });

  it('counts what pg_stat_statements counts, and explains with partitions', async () => {
    const { results, stdout } = await scenario('history-scroll', ['--variants', 'btree-unpartitioned,btree-weekly', '--duration', '3s', '--warmup', '500ms']);
    for (const v of results.variants) {
      for (const o of v.operations) {
        expect(o.server, `${v.variant}/${o.name}`).toBeDefined();
        expect(o.server!.calls).toBe(o.ok);
        expect(o.plan?.text).toMatch(/Index|Limit/);
      }
    }
    const weekly = results.variants.find((v) => v.variant === 'btree-weekly')!;
    expect(weekly.operations[0].plan!.partitionsTotal).toBeGreaterThan(10);
    const out = JSON.parse(stdout);
    expect(out.variants[0].operations[0]).toMatchObject({ name: 'open-channel' });
    expect(Object.keys(out.variants[0].operations[0].latencyUs)).toEqual(['p50', 'p90', 'p99', 'p999', 'max']);
  });

  it('open loop: latency counts from the scheduled start, so a 2 s stall shows in p99 (service time stays apart)', async () => {
    // another session locks the table for 2 s, one second into the measured phase
    // Timed from the measured phase's start as the command reports it, not from our own start: on a
    // busy machine the command's start and answer checks can take longer than any fixed guess.
    let lock: Promise<void> | undefined;
    const locked = () =>
      withClient(url, async (c) => {
        await new Promise((r) => setTimeout(r, 1000));
        await c.query('BEGIN');
        await c.query('LOCK TABLE chatbench_btree_unpartitioned.messages IN ACCESS EXCLUSIVE MODE');
        await new Promise((r) => setTimeout(r, 2000));
        await c.query('COMMIT');
      });
    const r = await runCli(['scenario', 'history-scroll', '--db', url, '--json', '--variants', 'btree-unpartitioned', '--rate', '50', '--connections', '2', '--duration', '5s', '--rounds', '1', '--warmup', '0s', '--no-explain'], {
      onStderr: (soFar) => {
        if (!lock && soFar.includes('btree-unpartitioned: measure...')) lock = locked();
      },
    });
    await lock;
    expect(r.code, r.stderr).toBe(0);
    expect(lock, 'never saw the measured phase start').toBeDefined();
    const results = readResults(JSON.parse(r.stdout).reportDir) as ScenarioResults;
    const ops = results.variants[0].operations;
    const worstLatency = Math.max(...ops.map((o) => o.latencyUs.p99));
    const worstLag = Math.max(...ops.map((o) => o.lagUs!.p99));
    expect(worstLatency).toBeGreaterThanOrEqual(1_500_000);
    expect(worstLag).toBeGreaterThanOrEqual(1_000_000);
    // The stall is the database's: operations that found no free connection waited for it, and
    // that lag is not counted as the harness's own lateness (which stays far below the stall).
    const worstHarnessLag = Math.max(...ops.map((o) => o.harnessLagUs!.p99));
    expect(worstHarnessLag).toBeLessThan(500_000);
    for (const o of ops) expect(o.serviceUs.p50).toBeLessThan(o.latencyUs.p99);
    expect(results.config.executor).toBe('open');
  });

  it('retention by DETACH ... CONCURRENTLY: the purge\'s time and WAL, and the readers in it and out of it, per variant', async () => {
    const { results, stdout } = await scenario('retention', ['--variants', 'btree-unpartitioned,btree-idrange-weekly', '--duration', '2s', '--warmup', '0s', '--no-explain', '--retention-method', 'detach-concurrently']);
    expect(results.config.retentionMethod).toBe('detach-concurrently');
    for (const v of results.variants) {
      const e = v.event!;
      expect(e.ok, v.variant).toBe(true);
      expect(e.retentionMethod, v.variant).toEqual({ requested: 'detach-concurrently', used: v.variant === 'btree-unpartitioned' ? 'delete' : 'detach-concurrently' });
      expect(e.startMs, v.variant).toBeGreaterThanOrEqual(550);
      expect(e.durationMs, v.variant).toBeGreaterThan(0);
      expect(e.walBytes, v.variant).toBeGreaterThan(0);
      // every read is in the purge or out of it
      expect(e.during.count + e.outside.count, v.variant).toBe(v.operations.find((o) => o.name === 'read-latest')!.attempted);
      expect(e.during.count, v.variant).toBeGreaterThan(0);
    }
    expect(JSON.parse(stdout).reportDir).toBeTruthy();
    const html = fs.readFileSync(path.join(JSON.parse(stdout).reportDir, 'index.html'), 'utf8');
    expect(html).toContain('delete (asked: detach-concurrently)');
    expect(html).toContain('p99 in it');
  });

  it('micro mode measures each query alone with tinybench', async () => {
    const { results } = await scenario('permissions', ['--variants', 'btree-unpartitioned', '--mode', 'micro', '--duration', '1s', '--warmup', '100ms']);
    const o = results.variants[0].operations[0];
    expect(o.ok).toBeGreaterThan(10);
    expect(o.note).toMatch(/tinybench: mean/);
  });
});

describe('errors and interruptions', () => {
  it('a variant that was never seeded is a one-line error with the command to run', async () => {
    const fresh = await freshDatabase('cbtest_scenario_empty');
    const r = await runCli(['scenario', 'history-scroll', '--variants', 'brin-monthly', '--db', fresh, '--duration', '1s']);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/not seeded yet: run "npm run seed -- --variants brin-monthly"/);
  });

  it('Ctrl-C stops cleanly and still writes the partial results, marked partial', async () => {
    let pid = 0;
    let sent = false;
    // A second into the measured phase's first round, as the command reports it (a fixed delay from our start was
    // a guess that a busy machine could beat).
    const r = await runCli(['scenario', 'history-scroll', '--db', url, '--variants', 'btree-unpartitioned,brin-weekly', '--duration', '30s', '--warmup', '0s', '--json'], {
      onSpawn: (p) => (pid = p),
      onStderr: (soFar) => {
        if (!sent && soFar.includes('btree-unpartitioned: measure')) {
          sent = true;
          setTimeout(() => process.kill(pid, 'SIGINT'), 1000);
        }
      },
    });
    expect(sent, r.stderr).toBe(true);
    expect(r.code).toBe(130);
    const out = JSON.parse(r.stdout);
    expect(out.partial).toBe(true);
    const results = readResults(out.reportDir) as ScenarioResults;
    expect(results.partial).toBe(true);
    expect(results.variants.length).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(out.reportDir, 'index.html'))).toBe(true);
  });
});

describe('retention methods (last: they remove the seeded history)', () => {
  const DAY = 86_400_000;
  // The scenarios above wrote for a time, not a count, so variants differ in what they wrote: compare
  // the seeded rows (sends, edits and deletes touch only messages the runs sent; reactions from the
  // runs are stamped after the data's end).
  const SEEDED: Record<string, string> = { messages: 'created_at', message_edits: 'message_created_at', reactions: 'created_at', attachments: 'message_created_at' };
  const checksums = (v: string) =>
    withClient(url, async (c) => {
      await c.query(`SET TimeZone = 'UTC'`);
      const out: Record<string, string> = {};
      for (const [t, col] of Object.entries(SEEDED)) {
        out[t] = (await c.query(`SELECT count(*) || ' ' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) AS s FROM ${t} t WHERE ${col} < $1`, [new Date(endMs)])).rows[0].s;
      }
      return out;
    }, schemaNameOf(v));
  let startMs = 0;
  let endMs = 0;
  /** The seeded data's time range (each test reads it: neither relies on the other having run). */
  const seededRange = async () => {
    [startMs, endMs] = await withClient(url, async (c) => {
      const r = (await c.query(`SELECT (plan->>'startMs')::bigint AS s, (plan->>'endMs')::bigint AS e FROM chatbench.seeds LIMIT 1`)).rows[0];
      return [Number(r.s), Number(r.e)];
    });
  };

  // One design per way of purging: no partitions, time ranges (month, week), id ranges (month,
  // week), hash; the others purge as one of these (BRIN, full text and the trigger change nothing).
  const LAYOUTS = ['btree-unpartitioned', 'btree-monthly', 'btree-weekly', 'btree-idrange-monthly', 'btree-idrange-weekly', 'hash-channel-16'];

  it('delete, detach and detach-concurrently remove the same rows on every kind of layout', async () => {
    await seededRange();
    // Cutoffs off the partition bounds, so each method also deletes the straddling period's rest.
    for (const [method, days] of [['delete', 6.3], ['detach', 17.7], ['detach-concurrently', 30.2]] as Array<[RetentionMethod, number]>) {
      const cutoff = new Date(startMs + days * DAY);
      const removed = new Map<string, number>();
      for (const v of LAYOUTS) removed.set(v, (await withClient(url, (c) => purgeMessagesBefore(c, cutoff, method), schemaNameOf(v))).removed);
      expect(removed.get('btree-unpartitioned'), method).toBeGreaterThan(1000);
      expect(new Set(removed.values()), `${method}: ${JSON.stringify([...removed])}`).toEqual(new Set([removed.get('btree-unpartitioned')]));
      const reference = await checksums('btree-unpartitioned');
      for (const v of LAYOUTS.slice(1)) expect(await checksums(v), `${method} on ${v}`).toEqual(reference);
      // whole periods went as partitions where there are any
      const parts = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM droppable_message_partitions($1)`, [cutoff])).rows[0].n, schemaNameOf('btree-idrange-weekly'));
      expect(parts, method).toBe(method === 'delete' ? 4 : 0);
    }
    expect(retentionMethodOf(all.find((v) => v.name === 'hash-channel-16')!, 'detach')).toBe('delete');
  });

  it('a concurrent purge interrupted between its statements (a detach left pending, a table left detached) is finished by the next', async () => {
    await seededRange();
    const cutoff = new Date(startMs + 44.5 * DAY);
    for (const name of ['btree-idrange-weekly', 'btree-weekly']) {
      const schema = schemaNameOf(name);
      const steps = await withClient(url, async (c) => (await c.query<{ statement: string }>('SELECT statement FROM message_purge_steps($1)', [cutoff])).rows.map((r) => r.statement), schema);
      // 1. Stop right after the first child's DETACH ... CONCURRENTLY: it stays behind, detached.
      const firstDetach = steps.findIndex((s) => / CONCURRENTLY$/.test(s));
      await withClient(url, async (c) => {
        for (const s of steps.slice(0, firstDetach + 1)) await c.query(s);
      }, schema);
      // 2. The next child's detach cancelled while it waits for an older snapshot: left pending.
      const next = /^ALTER TABLE (\S+) DETACH PARTITION (\S+) CONCURRENTLY$/.exec(steps.slice(firstDetach + 1).find((s) => / CONCURRENTLY$/.test(s))!)!;
      await withClient(url, async (blocker) => {
        await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await blocker.query(`SELECT count(*) FROM ${next[1]}`);
        await withClient(url, async (detacher) => {
          const pid = (await detacher.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
          const waiting = detacher.query(next[0]).then(() => 'finished', (e: { code?: string }) => e.code);
          for (let i = 0; i < 100; i++) {
            const w = await blocker.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
            if (w.rows[0]?.wait_event_type === 'Lock') break;
            await new Promise((r) => setTimeout(r, 50));
          }
          await withClient(url, (c) => c.query('SELECT pg_cancel_backend($1)', [pid]));
          expect(await waiting).toBe('57014');
        }, schema);
        await blocker.query('COMMIT');
      }, schema);
      const leftovers = () => withClient(url, async (c) => (await c.query(
        `SELECT (SELECT count(*)::int FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhdetachpending AND c.relnamespace = $1::regnamespace) AS pending,
                (SELECT count(*)::int FROM pg_class WHERE relnamespace = $1::regnamespace AND obj_description(oid, 'pg_class') = message_partition_detached_mark() AND NOT relispartition) AS detached`,
        [schema])).rows[0], schema);
      expect(await leftovers(), name).toEqual({ pending: 1, detached: 1 });
      // The next purge finishes both (a plain detach purge would too: that is what teardown runs).
      const again = await withClient(url, async (c) => (await c.query<{ statement: string }>('SELECT statement FROM message_purge_steps($1)', [cutoff])).rows.map((r) => r.statement), schema);
      expect(again.some((s) => / FINALIZE$/.test(s)), name).toBe(true);
      await withClient(url, async (c) => {
        if (name === 'btree-weekly') await c.query('SELECT purge_messages_before($1)', [cutoff]);
        else await purgeMessagesBefore(c, cutoff, 'detach-concurrently');
      }, schema);
      expect(await leftovers(), name).toEqual({ pending: 0, detached: 0 });
    }
    await withClient(url, (c) => purgeMessagesBefore(c, cutoff, 'delete'), schemaNameOf('btree-unpartitioned'));
    const reference = await checksums('btree-unpartitioned');
    for (const name of ['btree-idrange-weekly', 'btree-weekly']) expect(await checksums(name), name).toEqual(reference);
  });
});
