// The history page with a parameter law pgbench can draw as well: the data's hottest channel and a
// cursor uniform over the ids of the data's time span. Used by `bench replay` and `bench fidelity`.
import { defineScenario, queries } from '../../scenario/api.ts';

export default defineScenario<Record<string, never>>({
  name: 'history-page',
  description: 'One history page (50 messages before a keyset cursor) of the hottest channel, the cursor uniform over the data\'s ids.',
  question: 'Does chatbench see what pgbench sees on the same SQL and parameter law?',
  defaults: { executor: 'closed', concurrency: 1, durationMs: 10_000, warmupMs: 2_000 },
  state: () => ({}),
  operations: [
    {
      name: 'page',
      kind: 'read',
      sql: queries.PAGE_BEFORE,
      params(vu) {
        const lo = vu.world.idFloor(vu.world.startMs);
        const hi = vu.world.idFloor(vu.world.endMs);
        return [vu.world.hottestChannel(), lo + vu.rng.int(hi - lo)];
      },
    },
  ],
});
