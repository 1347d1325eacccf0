// Starts one embedded PostgreSQL for the integration tests (its own CHATBENCH_HOME under the temp
// folder, so a developer's data is never touched) and hands its URL to the tests.
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { pinEmbedded, readPassword, resolvePaths, stopEmbedded } from '../src/db/embedded.ts';
import { PROJECT_ROOT } from '../src/config/paths.ts';

export const TEST_HOME = path.join(os.tmpdir(), `chatbench-test-${process.getuid?.() ?? 'user'}`, 'shared');

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
  };
}
