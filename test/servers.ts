// The PostgreSQL versions the integration suite runs against: the embedded 18 (npm binaries) and
// Debian's 15 (/usr/lib/postgresql/15/bin, installed by npm test when missing), each started by the
// same code as the embedded server, in a throwaway CHATBENCH_HOME, and reached by URL like any
// user's server.
import fs from 'node:fs';
import path from 'node:path';
import { pinEmbedded, readPassword, resetEmbedded, resolvePaths, stopEmbedded, type EmbeddedPaths } from '../src/db/embedded.ts';
import { PROJECT_ROOT } from '../src/config/paths.ts';

export interface ServerKind {
  name: string;
  /** undefined: the npm package's binaries. */
  binDir?: string;
}

const PG15_BIN = process.env.CHATBENCH_TEST_PG15_BIN || '/usr/lib/postgresql/15/bin';

/**
 * Every version to test. Both always run: `npm test` installs PostgreSQL 15 first where it is
 * missing (test/prerequisites.sh), and a run without it (vitest started by hand) fails, never skips.
 */
export function serverKinds(): ServerKind[] {
  if (!fs.existsSync(path.join(PG15_BIN, 'postgres'))) {
    throw new Error(`PostgreSQL 15 is missing from ${PG15_BIN}: run the tests with npm test, which installs it (test/prerequisites.sh), or apt-get install postgresql-15`);
  }
  return [{ name: 'embedded PostgreSQL 18' }, { name: 'PostgreSQL 15', binDir: PG15_BIN }];
}

export interface TestServer {
  kind: ServerKind;
  paths: EmbeddedPaths;
  env: NodeJS.ProcessEnv;
  /** postgres://postgres:<password>@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  start(): Promise<void>;
  /** A clean, fast shutdown (pg_ctl stop -m fast): clients get 57P01. */
  stop(): Promise<void>;
  /** A crash: SIGQUIT to the postmaster (immediate shutdown, recovery at the next start). */
  crash(): Promise<void>;
  /** Stops the server and deletes its data; start() refuses after it. */
  destroy(): Promise<void>;
}

export async function startTestServer(kind: ServerKind, home: string): Promise<TestServer> {
  const env: NodeJS.ProcessEnv = { CHATBENCH_HOME: home, ...(kind.binDir ? { CHATBENCH_PG_BIN: kind.binDir } : {}) };
  const paths = resolvePaths(PROJECT_ROOT, { ...process.env, CHATBENCH_PG_BIN: '', ...env });
  let port = 0;
  // Once destroyed, never started again: a timed-out test's body, still running, may try after the teardown.
  let destroyed = false;
  const server: TestServer = {
    kind,
    paths,
    env,
    url(database = 'postgres') {
      return `postgres://postgres:${encodeURIComponent(readPassword(paths))}@127.0.0.1:${port}/${database}`;
    },
    async start() {
      if (destroyed) throw new Error(`the ${kind.name} test server was destroyed: not starting it again`);
      port = (await pinEmbedded(paths, () => {})).port;
    },
    async stop() {
      await stopEmbedded(paths);
    },
    async crash() {
      const pid = Number(fs.readFileSync(path.join(paths.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGQUIT');
      for (let i = 0; i < 200; i++) {
        let state: string | undefined;
        try {
          state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1];
        } catch {
          return;
        }
        if (state?.startsWith('Z')) return; // exited; its parent (init here) reaps it when it will
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`postmaster ${pid} did not exit after SIGQUIT`);
    },
    async destroy() {
      destroyed = true;
      await stopEmbedded(paths).catch(() => {});
      await resetEmbedded(paths).catch(() => {});
    },
  };
  await server.start();
  return server;
}
