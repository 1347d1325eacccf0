import type { CommandFactory } from '../app.ts';
import { RuntimeError } from '../../errors.ts';
export const benchCommand: CommandFactory = () => ({
  command: 'bench',
  describe: 'bench (in progress)',
  builder: (y) => y,
  handler: async () => {
    throw new RuntimeError('not built yet');
  },
});
