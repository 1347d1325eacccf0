// permissions: the effective permission bits of a member in a channel.
import { defineScenario, queries } from '../src/scenario/api.ts';

export default defineScenario<Record<string, never>>({
  name: 'permissions',
  description:
    'Computes a member\'s effective permissions in a channel from the server\'s roles, the member\'s roles and the channel\'s overwrites (for @everyone, for roles, for the member), as Discord does before every send and read.',
  question: 'How expensive is the permission check that guards every message, and does it depend on the message layout at all? (It should not: a control scenario.)',
  defaults: { executor: 'closed', concurrency: 4, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({}),
  operations: [
    {
      name: 'effective-permissions',
      kind: 'read',
      sql: queries.EFFECTIVE_PERMISSIONS,
      params(vu) {
        const channel = vu.world.hotChannel(vu.rng, { serverOnly: true });
        return [channel, vu.world.memberOf(vu.rng, channel)];
      },
    },
  ],
});
