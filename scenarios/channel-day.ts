// channel-day: the busiest channel's messages of one day, newest first, by time. The statement is
// prepared, as drivers do, and whether the server caches one generic plan for it or plans each day
// on its own decides which design wins: the report says which kind ran, and --plan-cache custom or
// generic measures each. The parameter law (the day uniform over the data) is one pgbench can draw
// too, so `bench fidelity` compares chatbench with pgbench on it.
import { defineScenario, queries } from '../src/scenario/api.ts';

export default defineScenario<Record<string, never>>({
  name: 'channel-day',
  description: 'Users open the busiest channel at a day of its history (uniform over the data) and read its newest 100 messages of that day, by created_at only (no id bound: the planner chooses the index).',
  question: 'How fast is a channel\'s day of messages on each layout, and does the answer depend on the plan the server caches for the prepared statement?',
  defaults: { executor: 'closed', concurrency: 2, durationMs: 20_000, warmupMs: 3_000 },
  state: () => ({}),
  operations: [
    {
      name: 'day',
      kind: 'read',
      expectIndex: true,
      sql: queries.CHANNEL_DAY,
      params(vu) {
        const lo = Math.ceil(vu.world.startMs / 1000);
        const hi = Math.floor(vu.world.endMs / 1000) - 86_400;
        return [vu.world.hottestChannel(), lo + vu.rng.int(Math.max(1, hi - lo))];
      },
    },
  ],
});
