// retention: drop a month of old messages while users keep reading.
import { PURGE_SQL, defineScenario, purgeMessagesBefore, queries, type RetentionMethod } from '../src/scenario/api.ts';

const MONTH_MS = 30 * 86_400_000;
const SHIFT_IDS = MONTH_MS * 4096; // a month, in snowflake id units

export default defineScenario<Record<string, never>>({
  name: 'retention',
  description:
    'Before timing, each variant gets an identical extra month of history before the data starts (a copy of its first month, shifted back). During the run, readers page through hot channels while, at 30% of the run, retention removes that month by --retention-method: delete (a DELETE, cascading to reactions, attachments and edits), detach (purge_messages_before() detaches and drops whole partitions in one transaction, locks taken up front; the default) or detach-concurrently (DETACH PARTITION ... CONCURRENTLY and DROP, one statement at a time). Variants without range partitions always delete. The results give the purge time, the WAL written meanwhile and the readers\' latency during the purge and outside it.',
  question: 'How long does dropping a month of messages take on each layout and with each retention method, and what do concurrent readers feel while it runs?',
  defaults: { executor: 'closed', concurrency: 4, durationMs: 30_000, warmupMs: 3_000 },
  state: () => ({}),
  event: { operation: 'drop-old-month', atFraction: 0.3 },
  runOptions: ['retentionMethod'],
  operations: [
    {
      name: 'read-latest',
      kind: 'read',
      sql: queries.LATEST_PAGE,
      params: (vu) => [vu.world.hotChannel(vu.rng), vu.world.idFloor(vu.world.endMs)],
    },
    {
      name: 'drop-old-month',
      kind: 'write',
      weight: 0,
      sql: PURGE_SQL,
      params: (vu) => [new Date(vu.world.startMs), vu.options.retentionMethod],
      // Several statements outside a transaction when detaching concurrently; one call otherwise.
      async run(client, [cutoff, method]) {
        const { removed } = await purgeMessagesBefore(client, cutoff as Date, method as RetentionMethod);
        return [[removed]];
      },
    },
  ],
  async setup({ client, world, variant, log }) {
    const from = new Date(world.startMs - MONTH_MS);
    const start = new Date(world.startMs);
    const end = new Date(world.startMs + MONTH_MS);
    if (variant.partitioning) await client.query('SELECT create_message_partitions($1, $2)', [from, start]);
    // Without triggers the copy neither fires the counter and audit triggers nor checks foreign
    // keys row by row (the rows are copies of valid ones); servers that refuse it just take longer.
    const replica = await client.query("SET session_replication_role = replica").then(() => true, () => false);
    const shifted = (col: string) => `${col} - ${SHIFT_IDS}`;
    const r = await client.query(
      `INSERT INTO messages (id, channel_id, author_id, content, reply_to_id, thread_id, mention_user_ids, mention_everyone, attachment_count, metadata, created_at, edited_at, deleted_at)
       SELECT ${shifted('id')}, channel_id, author_id, content, ${shifted('reply_to_id')}, ${shifted('thread_id')}, mention_user_ids, mention_everyone,
              attachment_count, metadata, created_at - interval '30 days', edited_at - interval '30 days', deleted_at - interval '30 days'
         FROM messages WHERE created_at >= $1 AND created_at < $2 AND id >= snowflake_ceil($1) AND id < snowflake_ceil($2)`,
      [start, end],
    );
    // The rows that hang off those messages, shifted the same way (attachments get new UUIDs).
    const children: Array<[string, string]> = [
      ['reactions', 'user_id, emoji'],
      ['attachments', 'filename, url, content_type, size_bytes, width, height'],
      ['message_edits', 'revision, content'],
    ];
    for (const [table, cols] of children) {
      await client.query(
        `INSERT INTO ${table} (message_id, message_created_at, ${cols}, created_at)
         SELECT ${shifted('message_id')}, message_created_at - interval '30 days', ${cols}, created_at - interval '30 days'
           FROM ${table} WHERE message_created_at >= $1 AND message_created_at < $2 AND message_id >= snowflake_ceil($1) AND message_id < snowflake_ceil($2)`,
        [start, end],
      );
    }
    if (replica) await client.query('RESET session_replication_role');
    await client.query('ANALYZE messages');
    log(`added a month of history before ${start.toISOString().slice(0, 10)}: ${r.rowCount} messages`);
  },
  async teardown({ client, world }) {
    // If the run stopped before the purge (or in the middle of a concurrent one: the function
    // finishes what it left), remove the extra month now; then set the counters right.
    await client.query('SELECT purge_messages_before($1)', [new Date(world.startMs)]);
    await client.query('SELECT reconcile_channel_counters()');
  },
});
