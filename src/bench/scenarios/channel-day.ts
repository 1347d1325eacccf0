// A time-range read with a parameter law pgbench can draw as well: the hottest channel's messages of
// one day, the day's start uniform over the data's span (in whole seconds). Used by `bench fidelity`.
import { defineScenario, queries } from '../../scenario/api.ts';

export default defineScenario<Record<string, never>>({
  name: 'channel-day',
  description: 'The newest 100 messages of one day of the hottest channel, by created_at, the day uniform over the data.',
  question: 'Does chatbench see what pgbench sees on a time-range read?',
  defaults: { executor: 'closed', concurrency: 1, durationMs: 10_000, warmupMs: 2_000 },
  state: () => ({}),
  operations: [
    {
      name: 'day',
      kind: 'read',
      sql: queries.CHANNEL_DAY,
      params(vu) {
        const lo = Math.ceil(vu.world.startMs / 1000);
        const hi = Math.floor(vu.world.endMs / 1000) - 86_400;
        return [vu.world.hottestChannel(), lo + vu.rng.int(Math.max(1, hi - lo))];
      },
    },
  ],
});
