import type { CommandFactory } from '../app.ts';
import { RuntimeError } from '../../errors.ts';
export const reportCommand: CommandFactory = () => ({
  command: 'report',
  describe: 'report (in progress)',
  builder: (y) => y,
  handler: async () => {
    throw new RuntimeError('not built yet');
  },
});
