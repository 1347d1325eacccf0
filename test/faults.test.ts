// Faults, on each server version: a restart in the middle of a scenario, a crash in the middle of a
// seed, statements cancelled by --op-timeout, deadlocks and serialization failures, too many
// connections, and Ctrl-C at several moments with the embedded server. Each version gets a server of
// its own here, because these tests stop and kill it.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EMBEDDED_DATABASE, embeddedStatus } from '../src/db/embedded.ts';
import { seedRecords } from '../src/schema/bookkeeping.ts';
import { checkIdentities, readResults } from '../src/results/io.ts';
import type { ScenarioResults } from '../src/results/types.ts';
import { oneLineError, runCli, withClient } from './helpers.ts';
import { killCommands } from './commands.ts';
import { serverKinds, startTestServer, type TestServer } from './servers.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'scenarios', 'lock-conflicts.ts');

/** A full disk needs a small filesystem of its own: a tmpfs, which only root may mount (CI runs as root). */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync('/tmp/chatbench-mount-probe-');
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  fs.rmdirSync(probe);
  return ok;
}
const MOUNT = canMountTmpfs();
if (!MOUNT) console.warn('cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN): the disk-full test is skipped');

describe.each(serverKinds().map((k, i) => [k.name, k, i] as const))('faults on %s', (_name, kind, i) => {
  let server: TestServer;
  let url = '';
  /** Content checksums of the uninterrupted seed below: what a resumed seed of the same data must end with. */
  let uninterrupted: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer(kind, path.join(inject('testHome'), `faults-${i}`));
    await withClient(server.url(), async (c) => {
      await c.query('DROP DATABASE IF EXISTS faults WITH (FORCE)');
      await c.query('CREATE DATABASE faults');
    });
    url = server.url('faults');
    const r = await runCli(['seed', '--db', url, '--messages', '50K', '--variants', 'btree-unpartitioned', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    uninterrupted = JSON.parse(r.stdout).variants[0].checksums;
  });
  afterAll(async () => {
    // First: a command left running (or started by a timed-out test's body) could start the server again.
    if (server) killCommands({ closeHome: server.env.CHATBENCH_HOME });
    await server?.destroy();
  });

  it('a server restart mid-scenario: the run goes on, failures are counted by SQLSTATE, the outage is marked', async () => {
    // A fast shutdown and a start, 2 s into the measured phase; then, once the run's four load
    // connections are back on the restarted server, 4 s more of load and Ctrl-C. The run is timed
    // from when the server is back (a restart can take many seconds on a busy machine), so it cannot
    // end before it has served operations again; its --duration is only an upper bound.
    let pid = 0;
    let exited = false;
    let restarted: Promise<void> | undefined;
    const connectionsBack = async () => {
      for (let k = 0; k < 600 && !exited; k++) {
        const n = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chatbench scenario'`)).rows[0].n as number).catch(() => 0);
        if (n === 4) return;
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    // The command may have exited a moment before its 'close' sets `exited` (ESRCH).
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (!exited) process.kill(pid, sig);
      } catch {
        // gone already
      }
    };
    const run = runCli(['scenario', 'history-scroll', '--db', url, '--variants', 'btree-unpartitioned', '--rate', '150', '--connections', '4', '--duration', '10m', '--warmup', '0s', '--no-explain', '--json'], {
      onSpawn: (p) => (pid = p),
      onStderr: (soFar) => {
        if (!restarted && soFar.includes('measure...')) {
          restarted = (async () => {
            await new Promise((res) => setTimeout(res, 2000));
            await server.stop();
            await server.start();
            await connectionsBack();
            await new Promise((res) => setTimeout(res, 4000));
            signal('SIGINT');
          })();
          // A failed restart fails the test below, without waiting out the run.
          restarted.catch(() => signal('SIGKILL'));
        }
      },
    });
    const r = await run;
    exited = true;
    await restarted;
    // Still running when stopped: Ctrl-C's exit, with the results of the whole run so far.
    expect(r.code, r.stderr).toBe(130);
    expect(JSON.parse(r.stdout).partial).toBe(true);
    const reportDir = JSON.parse(r.stdout).reportDir as string;
    const results = readResults(reportDir) as ScenarioResults;
    checkIdentities(results); // attempted = ok + failed + dropped still holds
    expect(fs.readFileSync(path.join(reportDir, 'index.html'), 'utf8')).toContain('Server outages');
    const v = results.variants[0];
    const failures = Object.assign({}, ...v.operations.map((o) => Object.fromEntries(Object.entries(o.errors).map(([code, e]) => [code, e.count]))));
    expect(Object.keys(failures).some((c) => ['57P01', '08006', '08001', '57P03'].includes(c)), JSON.stringify(failures)).toBe(true);
    expect(v.outages?.length, JSON.stringify(v.outages)).toBeGreaterThanOrEqual(1);
    const outage = v.outages![0];
    expect(outage.open).toBe(false);
    expect(outage.toMs).toBeGreaterThan(outage.fromMs);
    expect(v.reconnects).toBeGreaterThanOrEqual(1);
    // after the outage the run served operations again, without errors
    const after = v.timeline.filter((p) => p.t * 1000 > outage.toMs + 1000);
    expect(after.reduce((a, p) => a + p.ops, 0)).toBeGreaterThan(0);
    expect(after.at(-1)!.errors).toBe(0);
    // the server connections held by the run came back to the pool's size
    expect(v.resources!.at(-1)!.serverConnections).toBe(4);
  }, 150_000); // 22-25 s quiet; 17-30 s beside a 10M seed, 47 s beside a 100M seed

  it('a server crash mid-seed: one line and exit 1; once the server is back, the same command resumes to exact counts and checksums', async () => {
    // 50K messages over three monthly partitions, two loading at a time: the crash comes once one is
    // committed, mid-load.
    const args = ['seed', '--db', url, '--messages', '50K', '--variants', 'btree-monthly', '--jobs', '1', '--quiet'];
    let crashed = false;
    let finished = false;
    let watcher: Promise<void> = Promise.resolve();
    const run = runCli(args, {
      onSpawn: () => {
        watcher = (async () => {
          for (let k = 0; k < 600 && !crashed && !finished; k++) {
            await new Promise((res) => setTimeout(res, 100));
            const chunks = await withClient(url, async (c) => {
              const ok = await c.query(`SELECT to_regclass('chatbench.seed_sinks') IS NOT NULL AS ok`);
              return ok.rows[0].ok ? (await c.query(`SELECT count(*)::int AS n FROM chatbench.seed_sinks WHERE variant = 'btree-monthly' AND table_name = 'messages'`)).rows[0].n : 0;
            }).catch(() => 0);
            if (chunks >= 1) {
              crashed = true;
              await server.crash();
            }
          }
        })();
      },
    });
    const failed = await run;
    finished = true;
    // The seed exits as soon as its connection drops, which can be before the postmaster has gone.
    await watcher;
    expect(crashed).toBe(true);
    expect(failed.code, failed.stderr).toBe(1);
    expect(oneLineError(failed.stderr)).toMatch(/connection|terminat|shut ?down|57P0|08006/i);
    await server.start();
    const resumed = await runCli([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const seeded = JSON.parse(resumed.stdout) as { variants: Array<{ rows: Record<string, number>; checksums: Record<string, string> }> };
    expect(seeded.variants[0].rows.messages).toBe(50_000);
    expect(seeded.variants[0].checksums).toEqual(uninterrupted);
    const check = await runCli(['check', '--variant', 'btree-monthly', '--db', url]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 150_000); // 24-27 s quiet; 39-54 s beside a 10M seed, 49-75 s beside a 100M seed

  it('--op-timeout cancels slow operations (57014), counted as failures, and the open loop keeps its schedule', async () => {
    const r = await runCli(['scenario', 'time-range-scan', '--db', url, '--variants', 'btree-unpartitioned', '--rate', '100', '--duration', '4s', '--warmup', '0s', '--op-timeout', '1ms', '--no-explain', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const results = readResults(JSON.parse(r.stdout).reportDir) as ScenarioResults;
    checkIdentities(results);
    expect(results.config.opTimeoutMs).toBe(1);
    const ops = results.variants[0].operations;
    const cancelled = ops.reduce((a, o) => a + (o.errors['57014']?.count ?? 0), 0);
    expect(cancelled).toBeGreaterThan(0);
    const attempted = ops.reduce((a, o) => a + o.attempted, 0);
    expect(attempted).toBeGreaterThan(100 * 4 * 0.6); // Poisson arrivals at 100/s for 4 s
    expect(attempted).toBeLessThan(100 * 4 * 1.4);
  });

  it('deadlocks (40P01) and serialization failures (40001) are counted, not fatal; URL options reach the server', async () => {
    const repeatable = `${url}?options=${encodeURIComponent('-c default_transaction_isolation=repeatable\\ read')}`;
    const r = await runCli(['scenario', FIXTURE, '--db', repeatable, '--variants', 'btree-unpartitioned', '--duration', '4s', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const results = readResults(JSON.parse(r.stdout).reportDir) as ScenarioResults;
    checkIdentities(results);
    const ops = results.variants[0].operations;
    const count = (code: string) => ops.reduce((a, o) => a + (o.errors[code]?.count ?? 0), 0);
    expect(count('40P01')).toBeGreaterThan(0);
    expect(count('40001')).toBeGreaterThan(0);
    expect(ops.find((o) => o.name === 'bump')!.ok).toBeGreaterThan(0);
    // the fixture's teardown ran: nothing of it is left in the variant's schema
    expect(await withClient(url, async (c) => (await c.query(`SELECT to_regclass('chatbench_btree_unpartitioned.cbtest_counter') AS t`)).rows[0].t)).toBeNull();
  });

  it.runIf(MOUNT)('a full disk (53100): one line naming what to do; once there is room, the same command resumes and loses nothing', async () => {
    // The data goes to a tablespace on a 24 MB tmpfs (default_tablespace through the URL's options);
    // the WAL stays on the big disk, so the server reports 53100 instead of stopping.
    const mount = path.join(inject('testHome'), `tiny-${i}`);
    fs.mkdirSync(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
    try {
      const location = path.join(mount, 'ts');
      fs.mkdirSync(location, { mode: 0o700 });
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      fs.chownSync(location, uid, Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
      await withClient(server.url(), async (c) => {
        await c.query('DROP DATABASE IF EXISTS diskfull WITH (FORCE)');
        await c.query('CREATE DATABASE diskfull');
        await c.query(`CREATE TABLESPACE tiny LOCATION '${location}'`);
      });
      const tiny = `${server.url('diskfull')}?options=${encodeURIComponent('-c default_tablespace=tiny')}`;
      const args = ['seed', '--db', tiny, '--messages', '100K', '--variants', 'btree-unpartitioned', '--jobs', '1', '--quiet'];
      const full = await runCli(args);
      expect(full.code, full.stderr).toBe(1);
      expect(oneLineError(full.stderr)).toMatch(/No space left on device.*SQLSTATE 53100 disk_full.*what to do: the server's disk is full/);
      execFileSync('mount', ['-o', 'remount,size=512m', mount]);
      const resumed = await runCli([...args.slice(0, -1), '--json', '--quiet']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).variants[0].rows.messages).toBe(100_000);
    } finally {
      await withClient(server.url(), async (c) => {
        await c.query('DROP DATABASE IF EXISTS diskfull WITH (FORCE)');
        await c.query('DROP TABLESPACE IF EXISTS tiny');
      });
      spawnSync('umount', [mount]);
    }
  });

  it('too many connections (53300): one line naming the setting to change, nothing left open', async () => {
    const max = await withClient(url, async (c) => Number((await c.query('SHOW max_connections')).rows[0].max_connections));
    const r = await runCli(['scenario', 'history-scroll', '--db', url, '--variants', 'btree-unpartitioned', '--concurrency', String(max + 10), '--connections', String(max + 10), '--duration', '2s']);
    expect(r.code).toBe(1);
    const line = oneLineError(r.stderr);
    expect(line).toMatch(/53300|too many|remaining connection slots/i);
    expect(line).toMatch(/max_connections/);
    expect(line).toMatch(/--connections/);
    const left = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'chatbench%'`)).rows[0].n);
    expect(left).toBe(0);
  });

  // Ctrl-C is the CLI's and the embedded lifecycle's business, the same code whatever the server's
  // version: these two run on 18 only (15's pg_ctl stop and start are exercised above, by the
  // restart and the crash), which keeps a minute of the suite's budget.
  const onEmbedded18 = (name: string, fn: () => Promise<void>, timeoutMs?: number) => {
    if (!kind.binDir) it(name, fn, timeoutMs);
  };
  const SEED_20K = ['seed', '--messages', '20K', '--variants', 'brin-weekly', '--jobs', '1'];
  /** The server running, as a test before may have left it stopped (it failed or timed out). */
  const running = async () => {
    if (!embeddedStatus(server.paths).running) await server.start();
  };
  /** brin-weekly seeded on the embedded server's own database: by the test before, or here if it did not get so far. */
  const brinWeeklySeeded = async () => {
    await running();
    const status = await withClient(server.url(EMBEDDED_DATABASE), async (c) => (await seedRecords(c, ['brin-weekly'])).get('brin-weekly')?.status).catch(() => undefined);
    if (status === 'complete') return;
    const r = await runCli([...SEED_20K, '--quiet'], { env: server.env });
    expect(r.code, r.stderr).toBe(0);
  };

  onEmbedded18('Ctrl-C at any moment of a seed on the embedded server: exit 130, the server stopped, no variant taken for complete; then it finishes', async () => {
    await server.stop(); // unpinned: the command starts the server, and must stop it
    const env = { ...server.env };
    const args = SEED_20K;
    for (const marker of ['building the data model', ': load...', ': indexes...', ': checksums...']) {
      let sent = false;
      let pid = 0;
      const r = await runCli(args, {
        env,
        onSpawn: (p) => (pid = p),
        onStderr: (soFar) => {
          if (!sent && soFar.includes(marker)) {
            sent = true;
            process.kill(pid, 'SIGINT');
          }
        },
      });
      expect(sent, `never saw "${marker}": ${r.stderr}`).toBe(true);
      expect(r.code, `${marker}: ${r.stderr}`).toBe(130);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^chatbench: (seed )?interrupted/);
      const st = embeddedStatus(server.paths);
      expect(st.running, `server still running after Ctrl-C at ${marker}`).toBe(false);
      expect(st.leases).toBe(0);
    }
    // Interrupted as late as the checksums, the variant is still not taken for complete.
    const refused = await runCli(['scenario', 'history-scroll', '--variants', 'brin-weekly', '--duration', '1s'], { env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(oneLineError(refused.stderr)).toMatch(/not seeded yet/);
    const done = await runCli([...args, '--quiet', '--json'], { env });
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout).variants[0].rows.messages).toBe(20_000);
    expect(embeddedStatus(server.paths).running).toBe(false);
    await server.start();
  }, 300_000); // 56 s quiet, 54 s beside a 10M seed; over 120 s beside a 100M seed's index builds

  onEmbedded18('Ctrl-C during a scenario on the embedded server: partial results, marked partial; the server stopped', async () => {
    await brinWeeklySeeded();
    await server.stop();
    let pid = 0;
    let sent = false;
    const r = await runCli(['scenario', 'history-scroll', '--variants', 'brin-weekly', '--duration', '20s', '--warmup', '0s', '--json'], {
      env: server.env,
      onSpawn: (p) => (pid = p),
      onStderr: (soFar) => {
        if (!sent && /measure \d+s/.test(soFar)) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(r.code, r.stderr).toBe(130);
    const out = JSON.parse(r.stdout);
    expect(out.partial).toBe(true);
    expect((readResults(out.reportDir) as ScenarioResults).partial).toBe(true);
    expect(fs.existsSync(path.join(out.reportDir, 'index.html'))).toBe(true);
    expect(embeddedStatus(server.paths).running).toBe(false);
    await server.start();
  });

  it('ends with no connection of ours left on the server', async () => {
    await running(); // the tests above leave it running, unless one failed or timed out
    const c = new pg.Client({ connectionString: server.url() });
    await c.connect();
    try {
      expect((await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'chatbench%'`)).rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });
});
