import type { CommandFactory } from '../app.ts';
import { RuntimeError } from '../../errors.ts';
export const scenarioCommand: CommandFactory = () => ({
  command: 'scenario',
  describe: 'scenario (in progress)',
  builder: (y) => y,
  handler: async () => {
    throw new RuntimeError('not built yet');
  },
});
