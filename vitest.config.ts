import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts, no server); integration tests are in test/ and
// use a real embedded PostgreSQL started once by the global setup. Files run one at a time: they
// share that server, and the machines have two cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
