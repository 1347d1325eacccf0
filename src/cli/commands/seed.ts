import type { CommandFactory } from '../app.ts';
import { RuntimeError } from '../../errors.ts';
export const seedCommand: CommandFactory = () => ({
  command: 'seed',
  describe: 'seed (in progress)',
  builder: (y) => y,
  handler: async () => {
    throw new RuntimeError('not built yet');
  },
});
