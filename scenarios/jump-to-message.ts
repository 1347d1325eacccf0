// jump-to-message: open a channel at a message in the middle of its history (a link, a search hit, a reply).
import { defineScenario, type VirtualUser } from '../src/scenario/api.ts';

const HALF = 25;
const COLUMNS = 'id, author_id, content, created_at';

/** A seeded message, and the newest id the client knows (the end of the data for answer checks). */
function around(vu: VirtualUser<Record<string, never>>): unknown[] {
  const m = vu.world.message(vu.rng);
  return [m.channelId, m.id, vu.world.idFloor(vu.mode === 'check' ? vu.world.endMs : vu.world.nowMs() + 1)];
}

export default defineScenario<Record<string, never>>({
  name: 'jump-to-message',
  description:
    'Opens the page around a message somewhere in history: 25 messages before it and 25 after, in one statement. "jump" pages by id alone; "jump-with-time" adds the creation-time bounds that a snowflake id implies, so partitioned variants can prune.',
  question: 'How fast is the page around an arbitrary message, and how much does giving the planner the time an id encodes help partitioned tables?',
  defaults: { executor: 'closed', concurrency: 4, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({}),
  operations: [
    {
      name: 'jump',
      kind: 'read',
      weight: 1,
      expectIndex: true,
      sql: `(SELECT ${COLUMNS} FROM messages
               WHERE channel_id = $1 AND id <= $2 AND thread_id IS NULL AND deleted_at IS NULL
               ORDER BY id DESC LIMIT ${HALF})
            UNION ALL
            (SELECT ${COLUMNS} FROM messages
               WHERE channel_id = $1 AND id > $2 AND id <= $3 AND thread_id IS NULL AND deleted_at IS NULL
               ORDER BY id ASC LIMIT ${HALF})
            ORDER BY id`,
      params: around,
    },
    {
      name: 'jump-with-time',
      kind: 'read',
      weight: 1,
      expectIndex: true,
      sql: `(SELECT ${COLUMNS} FROM messages
               WHERE channel_id = $1 AND id <= $2 AND created_at <= snowflake_time($2) AND thread_id IS NULL AND deleted_at IS NULL
               ORDER BY id DESC LIMIT ${HALF})
            UNION ALL
            (SELECT ${COLUMNS} FROM messages
               WHERE channel_id = $1 AND id > $2 AND id <= $3 AND created_at >= snowflake_time($2) AND thread_id IS NULL AND deleted_at IS NULL
               ORDER BY id ASC LIMIT ${HALF})
            ORDER BY id`,
      params: around,
    },
  ],
});
