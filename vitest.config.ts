import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The integration files, slowest first (seconds in a quiet npm test, two files at a time, 2 cores,
// 2026-12-01, before the sweep's shorter phases and the lazily loaded commands): the scenario sweep
// starts at once and the others fill the second slot, so the suite ends when the work runs out rather
// than behind a long file started last.
const SLOWEST_FIRST = [
  'test/scenario.test.ts', // 392
  'test/faults.test.ts', // 272
  'test/seed.test.ts', // 156
  'test/embedded.test.ts', // 141
  'test/versions.test.ts', // 108
  'test/report.test.ts', // 87
  'test/safety.test.ts', // 50 alone
  'test/schema.test.ts', // 42 alone
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// Unit tests sit beside the code (src/**/*.test.ts, no server); integration tests are in test/ and
// use a real embedded PostgreSQL started once by the global setup. Two files run at a time: each
// integration file works in a database of its own on that server (or on servers of its own), and
// much of a file's time is the server's or a timed phase's, so two fill the machine's two cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    sequence: { sequencer: SlowestFirst },
    // Tests over about 25 s quiet set their own limit, 5-9x their quiet time (they took up to 3.3x it
    // beside a 100M seed's index builds, 4.5x beside a 7-design 10M seed and another test file); 120 s
    // is that margin for the rest.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
