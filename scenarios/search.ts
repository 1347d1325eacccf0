// search: full-text search in one server over the last week of history, newest first.
import { defineScenario, queries } from '../src/scenario/api.ts';

const WEEK_MS = 7 * 86_400_000;

export default defineScenario<Record<string, never>>({
  name: 'search',
  description:
    'Searches a server for a word over the last seven days of history, newest 25 hits first, with the expression that the optional GIN index covers. Variants without that index answer the same query by reading every message of the window.',
  question: 'What does message search cost with and without a full-text index, at this data size?',
  defaults: { executor: 'closed', concurrency: 2, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({}),
  operations: [
    {
      name: 'search',
      kind: 'read',
      sql: queries.SEARCH,
      params(vu) {
        const end = vu.world.endMs;
        return [vu.world.hotServer(vu.rng), new Date(end - WEEK_MS), new Date(end), vu.world.searchWord(vu.rng)];
      },
      note: (v) => (v.fullTextSearch ? undefined : 'no full-text index on this variant: matches are found by scanning every message of the window'),
    },
  ],
});
