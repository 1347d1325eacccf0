// time-range-scan: everything in a server over a recent window, and a month's moderation export.
import { defineScenario } from '../src/scenario/api.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export default defineScenario<Record<string, never>>({
  name: 'time-range-scan',
  description:
    'Moderation reads bounded by time: the messages of a server in the last hour of the data, per-channel activity of its last day, and a month\'s export summary (a day-by-day count over a whole month). These are the queries where BRIN indexes and partition pruning should pay off. Each bounds the id as well as the time (id >= snowflake_ceil(from), the first id of that instant), which changes no answer and lets partitions by id prune.',
  question: 'When queries carry a time range, how do B-tree and BRIN time indexes and weekly or monthly partitions compare?',
  defaults: { executor: 'closed', concurrency: 2, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({}),
  operations: [
    {
      name: 'server-last-hour',
      kind: 'read',
      weight: 6,
      expectIndex: true,
      sql: `SELECT m.id, m.channel_id, m.author_id, m.created_at
              FROM messages m
             WHERE m.created_at >= $2 AND m.created_at < $3 AND m.id >= snowflake_ceil($2) AND m.id < snowflake_ceil($3) AND m.deleted_at IS NULL
               AND m.channel_id IN (SELECT id FROM channels WHERE server_id = $1)
             ORDER BY m.created_at, m.id
             LIMIT 5000`,
      params: (vu) => [vu.world.hotServer(vu.rng), new Date(vu.world.endMs - HOUR), new Date(vu.world.endMs)],
    },
    {
      name: 'server-last-day',
      kind: 'read',
      weight: 3,
      expectIndex: true,
      sql: `SELECT m.channel_id, count(*) AS messages, count(DISTINCT m.author_id) AS authors
              FROM messages m
             WHERE m.created_at >= $2 AND m.created_at < $3 AND m.id >= snowflake_ceil($2) AND m.id < snowflake_ceil($3) AND m.deleted_at IS NULL
               AND m.channel_id IN (SELECT id FROM channels WHERE server_id = $1)
             GROUP BY m.channel_id
             ORDER BY m.channel_id`,
      params: (vu) => [vu.world.hotServer(vu.rng), new Date(vu.world.endMs - DAY), new Date(vu.world.endMs)],
    },
    {
      name: 'month-export',
      kind: 'read',
      weight: 1,
      sql: `SELECT date_trunc('day', m.created_at AT TIME ZONE 'UTC') AS day, count(*) AS messages, sum(length(m.content)) AS chars
              FROM messages m
             WHERE m.created_at >= $2 AND m.created_at < $3 AND m.id >= snowflake_ceil($2) AND m.id < snowflake_ceil($3) AND m.deleted_at IS NULL
               AND m.channel_id IN (SELECT id FROM channels WHERE server_id = $1)
             GROUP BY 1
             ORDER BY 1`,
      params(vu) {
        // A calendar month inside the data (the last whole one, or the first month if the data is shorter).
        const end = new Date(vu.world.endMs);
        let hi = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1);
        let lo = Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1);
        if (lo < vu.world.startMs) {
          lo = vu.world.startMs;
          hi = Math.min(vu.world.endMs, lo + 30 * DAY);
        }
        return [vu.world.hotServer(vu.rng), new Date(lo), new Date(hi)];
      },
    },
  ],
});
