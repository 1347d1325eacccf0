// dm-inbox: a user's direct messages, most recent conversation first, with each one's last message.
import { defineScenario } from '../src/scenario/api.ts';

export default defineScenario<Record<string, never>>({
  name: 'dm-inbox',
  description:
    'Lists a user\'s open DM and group-DM channels ordered by last activity (the denormalised channels.last_message_at), with the text of each channel\'s last message fetched by its primary key (id and created_at, so partitions prune).',
  question: 'How fast is the DM inbox, which leans on the denormalised last-message columns the counter trigger maintains?',
  defaults: { executor: 'closed', concurrency: 4, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({}),
  operations: [
    {
      name: 'dm-inbox',
      kind: 'read',
      sql: `SELECT c.id, c.type, c.name, c.last_message_at, m.id AS message_id, m.author_id, left(m.content, 120) AS preview
              FROM dm_participants p
              JOIN channels c ON c.id = p.channel_id
              LEFT JOIN LATERAL (
                SELECT id, author_id, content FROM messages m
                 WHERE m.id = c.last_message_id AND m.created_at = c.last_message_at AND m.deleted_at IS NULL) m ON true
             WHERE p.user_id = $1 AND p.closed_at IS NULL
             ORDER BY c.last_message_at DESC NULLS LAST, c.id
             LIMIT 50`,
      params(vu) {
        return [vu.world.dmUser(vu.rng, 'reader')];
      },
    },
  ],
});
