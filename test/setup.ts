// Runs in every test file before its tests: commands a test started and left running (it timed
// out, and its body runs on) are killed when it ends, so they cannot act in the next test.
import { afterEach } from 'vitest';
import { killCommands } from './commands.ts';

afterEach(() => {
  killCommands();
});
