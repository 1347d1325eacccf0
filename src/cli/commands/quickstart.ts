import type { CommandFactory } from '../app.ts';
import { RuntimeError } from '../../errors.ts';
export const quickstartCommand: CommandFactory = () => ({
  command: 'quickstart',
  describe: 'quickstart (in progress)',
  builder: (y) => y,
  handler: async () => {
    throw new RuntimeError('not built yet');
  },
});
