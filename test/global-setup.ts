// Starts one embedded PostgreSQL for the integration tests and hands its URL to the tests. It lives
// in a CHATBENCH_HOME of this test run's own under the temp folder (a developer's data is never
// touched, and two test runs on one machine never share, or stop, each other's server), and is
// deleted when the run ends.
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { pinEmbedded, readPassword, resetEmbedded, resolvePaths, stopEmbedded } from '../src/db/embedded.ts';
import { PROJECT_ROOT } from '../src/config/paths.ts';

export const TEST_HOME = path.join(os.tmpdir(), `chatbench-test-${process.getuid?.() ?? 'user'}`, `run-${process.pid}`);

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    testHome: string;
  }
}

export default async function setup(project: TestProject) {
  const paths = resolvePaths(PROJECT_ROOT, { ...process.env, CHATBENCH_HOME: TEST_HOME });
  const server = await pinEmbedded(paths, () => {});
  const password = readPassword(paths);
  project.provide('adminUrl', `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${server.port}/postgres`);
  project.provide('testHome', TEST_HOME);
  return async () => {
    await stopEmbedded(paths);
    await resetEmbedded(paths);
  };
}
