// send-burst: a raid on one hot channel: many senders at once while others read it.
import { defineScenario, queries } from '../src/scenario/api.ts';

interface State {
  role: 'writer' | 'reader';
}

export default defineScenario<State>({
  name: 'send-burst',
  description:
    'Three quarters of the virtual users send messages as fast as they can into the single busiest channel (with the message-count trigger and the audit and edit triggers in place where the variant has them); the other quarter reload that channel\'s latest page.',
  question: 'How many messages per second can one hot channel take, and what do its readers see meanwhile? (Compare btree-monthly with btree-monthly-no-trigger for the cost of the denormalised counter.)',
  defaults: { executor: 'closed', concurrency: 8, durationMs: 20_000, warmupMs: 3_000 },
  state: (vu) => ({ role: vu.id % 4 === 3 ? 'reader' : 'writer' }),
  next: (vu) => (vu.state.role === 'writer' ? 'send' : 'read-latest'),
  operations: [
    {
      name: 'send',
      kind: 'write',
      sql: queries.SEND,
      params(vu) {
        const channel = vu.world.hottestChannel();
        // Only writers send (answer checks read readers' state); in data too small for the hottest
        // channel to have a writer member, any writer does.
        const author = vu.world.memberOf(vu.rng, channel, 'writer') ?? vu.world.user(vu.rng, 'writer');
        return [channel, author, vu.world.text(vu.rng), new Date(vu.world.nowMs())];
      },
    },
    {
      name: 'read-latest',
      kind: 'read',
      sql: queries.LATEST_PAGE,
      params: (vu) => [vu.world.hottestChannel(), vu.world.idFloor(vu.mode === 'check' ? vu.world.endMs : vu.world.nowMs() + 1)],
    },
  ],
});
