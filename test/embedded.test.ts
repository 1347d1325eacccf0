// The embedded server's lifecycle, each test with its own CHATBENCH_HOME: first use initialises,
// later uses reuse, data survives stop and start, killed commands and a killed server leave a
// state the next command recovers from, and concurrent first starts initialise once.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/paths.ts';
import { resolvePaths, stopEmbedded } from '../src/db/embedded.ts';
import { oneLineError, runCli } from './helpers.ts';
import { killCommands } from './commands.ts';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-lifecycle-'));
fs.chmodSync(base, 0o755);
const homes: string[] = [];

function home(name: string): string {
  const h = path.join(base, name);
  homes.push(h);
  return h;
}

const cli = (h: string, args: string[]) => runCli(args, { env: { CHATBENCH_HOME: h } });

async function dbUrl(h: string): Promise<string> {
  const r = await cli(h, ['db', 'url']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** Connects with the URL `db url` printed (passfile inside), as psql would. */
function psql(url: string, sql: string): string {
  const r = spawnSync('psql', ['-X', '-At', url, '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** A process's children, with their command names. */
function childCommands(pid: number): Array<{ pid: number; name: string }> {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.map((k) => {
      try {
        return { pid: Number(k), name: fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim() };
      } catch {
        return { pid: Number(k), name: '' };
      }
    });
  } catch {
    return [];
  }
}

/** Whether a process is gone (a zombie waiting for its parent counts as gone). */
function exited(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

afterAll(async () => {
  killCommands({ close: true }); // first: a command left running could start a server again
  for (const h of homes) await stopEmbedded(resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h })).catch(() => {});
  fs.rmSync(base, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  it('initialises on first use, reuses it after, keeps rows across stop and start', async () => {
    const h = home('basic');
    const first = await cli(h, ['db', 'status']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('not initialised yet');
    const start = await cli(h, ['db', 'start']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain('initialising the embedded PostgreSQL');
    const url = await dbUrl(h);
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/chatbench\?passfile=/);
    psql(url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (1), (2), (3)');
    const status = await cli(h, ['db', 'status', '--json']);
    const s = JSON.parse(status.stdout);
    expect(s.running).toBe(true);
    expect(s.version).toMatch(/PostgreSQL 18/);
    expect(s.pgStatStatements).toBe('installed');
    expect(s.settings.shared_preload_libraries).toBe('pg_stat_statements');
    expect((await cli(h, ['db', 'stop'])).code).toBe(0);
    expect(JSON.parse((await cli(h, ['db', 'status', '--json'])).stdout).running).toBe(false);
    // a command starts it on demand, without initialising again, and stops it when done
    const again = await cli(h, ['schema', 'list']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('initialising');
    expect(JSON.parse((await cli(h, ['db', 'status', '--json'])).stdout).running).toBe(false);
    expect(psql(await dbUrl(h), 'SELECT sum(x) FROM kept')).toBe('6');
    await cli(h, ['db', 'stop']);
  }, 180_000); // 36 s quiet, 114 s beside a 100M seed

  it('concurrent first commands initialise once and both succeed', async () => {
    const h = home('concurrent');
    const [a, b] = await Promise.all([cli(h, ['schema', 'list']), cli(h, ['schema', 'list'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const inits = (a.stderr + b.stderr).match(/initialising the embedded PostgreSQL/g) ?? [];
    expect(inits).toHaveLength(1);
    expect(fs.existsSync(path.join(resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h }).dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('a SIGKILLed command leaves a lease and a running server the next command recovers from', async () => {
    const h = home('killed');
    const url = await dbUrl(h); // initialised and pinned
    await cli(h, ['db', 'stop']);
    // a long-running command: psql sleeping inside `db psql`
    let pid = 0;
    const run = runCli(['db', 'psql', '--', '-c', 'SELECT pg_sleep(60)'], { env: { CHATBENCH_HOME: h }, onSpawn: (p) => (pid = p) });
    const paths = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h });
    // Killed once psql runs inside it (lease taken, server up), however long a busy machine takes to
    // get there: a fixed wait could kill it before it had its lease.
    const psqlChild = () => childCommands(pid).find((c) => c.name === 'psql')?.pid;
    for (let i = 0; i < 600 && !psqlChild(); i++) await new Promise((r) => setTimeout(r, 100));
    const child = psqlChild();
    expect(child).toBeDefined();
    process.kill(pid, 'SIGKILL');
    process.kill(child!, 'SIGKILL'); // else it holds the command's output open until its sleep ends
    await run;
    expect(fs.readdirSync(paths.leasesDir)).toHaveLength(1); // the dead command's lease
    const next = await cli(h, ['schema', 'list']);
    expect(next.code, next.stderr).toBe(0);
    expect(fs.readdirSync(paths.leasesDir)).toHaveLength(0);
    expect(JSON.parse((await cli(h, ['db', 'status', '--json'])).stdout).running).toBe(false);
    expect(psql(await dbUrl(h), 'SELECT 1')).toBe('1');
    void url;
    await cli(h, ['db', 'stop']);
  }, 150_000); // 29 s quiet, 95 s beside a 100M seed

  it('a killed server (stale postmaster.pid, even naming a live process of another PostgreSQL) does not block the next start', async () => {
    const h = home('stale');
    const url = await dbUrl(h);
    psql(url, 'CREATE TABLE survives (x int); INSERT INTO survives VALUES (42)');
    const paths = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h });
    const pidFile = path.join(paths.dataDir, 'postmaster.pid');
    const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(postmaster, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
    // make the stale file name a live process that is not this server: pid reuse, here by a process
    // of another server (its command line says "postgres" too: that once passed for ours)
    const sleeper = spawn('sleep', ['30'], { argv0: 'postgres: io worker 0' });
    const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
    lines[0] = String(sleeper.pid);
    fs.writeFileSync(pidFile, lines.join('\n'));
    try {
      const r = await cli(h, ['db', 'start']);
      expect(r.code, r.stderr).toBe(0);
      expect(psql(await dbUrl(h), 'SELECT x FROM survives')).toBe('42');
    } finally {
      sleeper.kill();
      await cli(h, ['db', 'stop']);
    }
  });

  it('a start while the crashed server is still shutting down waits for it and starts anew (it took the dying server for running: connection refused)', async () => {
    const h = home('stopping');
    expect((await cli(h, ['db', 'start'])).code).toBe(0);
    const paths = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h });
    const postmaster = Number(fs.readFileSync(path.join(paths.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // A crash whose shutdown takes a while, as on a busy machine: one child stopped, so the
    // postmaster stays in "stopping" until it SIGKILLs it (5 s).
    const child = Number(fs.readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/)[0]);
    process.kill(child, 'SIGSTOP');
    process.kill(postmaster, 'SIGQUIT');
    try {
      const r = await cli(h, ['db', 'start', '--json']);
      expect(r.code, r.stderr).toBe(0);
      // once the dying postmaster is gone, the server this start handed out must answer
      for (let i = 0; i < 150 && !exited(postmaster); i++) await new Promise((res) => setTimeout(res, 100));
      expect(psql(JSON.parse(r.stdout).url, 'SELECT 1')).toBe('1');
    } finally {
      try {
        process.kill(child, 'SIGCONT');
      } catch {
        // already gone
      }
      await cli(h, ['db', 'stop']);
    }
  });

  it('says why the server failed to start, from its log', async () => {
    const h = home('broken');
    expect((await cli(h, ['db', 'start'])).code).toBe(0);
    await cli(h, ['db', 'stop']);
    const paths = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h });
    fs.appendFileSync(path.join(paths.dataDir, 'postgresql.conf'), "\nshared_buffers = 'lots'\n");
    const r = await cli(h, ['db', 'start']);
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toMatch(/did not start: .*shared_buffers/);
  });

  it('reset deletes the data directory only when confirmed', async () => {
    const h = home('reset');
    expect((await cli(h, ['db', 'start'])).code).toBe(0);
    await cli(h, ['db', 'stop']);
    const refused = await cli(h, ['db', 'reset']);
    expect(refused.code).toBe(2);
    expect(oneLineError(refused.stderr)).toMatch(/pass --yes to confirm/);
    const paths = resolvePaths(PROJECT_ROOT, { CHATBENCH_HOME: h });
    expect(fs.existsSync(paths.dataDir)).toBe(true);
    const done = await cli(h, ['db', 'reset', '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(fs.existsSync(paths.dataDir)).toBe(false);
  });

  it('works from a copy of the project inside a 0700 folder (falls back to a reachable place as root)', async () => {
    const locked = path.join(base, 'locked');
    fs.mkdirSync(locked, { mode: 0o700 });
    fs.chmodSync(locked, 0o700);
    const clone = path.join(locked, 'chatbench');
    fs.mkdirSync(clone);
    for (const f of ['package.json', 'tsconfig.json', 'src', 'schemas', 'scenarios']) fs.cpSync(path.join(PROJECT_ROOT, f), path.join(clone, f), { recursive: true });
    // hard links: new folders (under the 0700 one), same files, instantly
    expect(spawnSync('cp', ['-al', path.join(PROJECT_ROOT, 'node_modules'), path.join(clone, 'node_modules')]).status).toBe(0);
    const env = { ...process.env, CHATBENCH_HOME: '' };
    delete (env as NodeJS.ProcessEnv).DATABASE_URL;
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(clone, 'src/cli/main.ts'), ...args], { cwd: clone, env, encoding: 'utf8' });
    try {
      const start = run(['db', 'start']);
      expect(start.status, start.stderr).toBe(0);
      const status = JSON.parse(run(['db', 'status', '--json']).stdout);
      expect(status.running).toBe(true);
      if (process.getuid?.() === 0) {
        expect(status.movedBecause).toMatch(/cannot enter .*locked/);
        expect(status.dataDir.startsWith(os.tmpdir())).toBe(true);
      }
    } finally {
      run(['db', 'reset', '--yes']);
    }
  });
});
