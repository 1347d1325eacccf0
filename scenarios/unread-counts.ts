// unread-counts: the badges of every channel a user can read.
import { defineScenario, queries } from '../src/scenario/api.ts';

export default defineScenario<Record<string, never>>({
  name: 'unread-counts',
  description: 'At connect, a client asks for the unread count (capped at 100) and mention count of every channel the user has a read state in: its servers\' channels and its DMs.',
  question: 'How long does the unread-badge query take for a user with dozens of channels, on each layout?',
  defaults: { executor: 'closed', concurrency: 4, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({}),
  operations: [
    {
      name: 'unread-counts',
      kind: 'read',
      expectIndex: true,
      sql: queries.UNREAD_COUNTS,
      params(vu) {
        const user = vu.world.user(vu.rng, vu.mode === 'check' ? 'reader' : vu.rng.chance(0.5) ? 'reader' : 'writer');
        return [user, vu.world.idFloor(vu.mode === 'check' ? vu.world.endMs : vu.world.nowMs() + 1)];
      },
    },
  ],
});
