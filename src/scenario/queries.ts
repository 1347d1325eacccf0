// Chat queries that more than one scenario runs, written once (re-exported by api.ts, so scenario
// files still import only the scenario API). Every read of messages filters deleted_at IS NULL and
// pages by keyset; the schema audit checks both on the plans.

export const MESSAGE_COLUMNS = 'id, author_id, content, created_at, reply_to_id, attachment_count, edited_at';

/** The latest page of a channel, up to the newest id the client knows. */
export const LATEST_PAGE = `SELECT ${MESSAGE_COLUMNS} FROM messages
 WHERE channel_id = $1 AND id <= $2 AND thread_id IS NULL AND deleted_at IS NULL
 ORDER BY id DESC LIMIT 50`;

/** The page before a keyset cursor. */
export const PAGE_BEFORE = `SELECT ${MESSAGE_COLUMNS} FROM messages
 WHERE channel_id = $1 AND id < $2 AND thread_id IS NULL AND deleted_at IS NULL
 ORDER BY id DESC LIMIT 50`;

/**
 * One channel's messages of one day (the day's start in epoch seconds), newest first, by time only.
 * No id bound on purpose: which index serves it is the planner's choice, and a prepared statement's
 * cached generic plan may choose differently from a plan made for the day asked for.
 */
export const CHANNEL_DAY = `SELECT ${MESSAGE_COLUMNS} FROM messages
 WHERE channel_id = $1 AND created_at >= to_timestamp($2) AND created_at < to_timestamp($2) + interval '1 day'
   AND deleted_at IS NULL
 ORDER BY created_at DESC LIMIT 100`;

/** Unread and mention counts of every channel a user has a read state in; counts stop at 100 ("99+"). */
export const UNREAD_COUNTS = `SELECT rs.channel_id, u.unread, rs.mention_count
  FROM read_states rs
  CROSS JOIN LATERAL (
    SELECT count(*) AS unread FROM (
      SELECT 1 FROM messages m
       WHERE m.channel_id = rs.channel_id AND m.id > rs.last_read_message_id AND m.id <= $2 AND m.deleted_at IS NULL
       LIMIT 100) x) u
 WHERE rs.user_id = $1
 ORDER BY rs.channel_id`;

/** Full-text search in a server's channels within a time window, newest first (the id bound is the time's, for id partitions). */
export const SEARCH = `SELECT m.id, m.channel_id, m.author_id, m.created_at, left(m.content, 200) AS snippet
  FROM messages m
 WHERE m.channel_id IN (SELECT id FROM channels WHERE server_id = $1)
   AND m.created_at >= $2 AND m.created_at < $3
   AND m.id >= snowflake_ceil($2) AND m.id < snowflake_ceil($3)
   AND m.deleted_at IS NULL
   AND to_tsvector('simple', m.content) @@ websearch_to_tsquery('simple', $4)
 ORDER BY m.id DESC
 LIMIT 25`;

/**
 * Effective permissions of a member in a channel, as Discord computes them: the OR of the member's
 * roles (with @everyone); ADMINISTRATOR grants all; then the channel's @everyone overwrite, its role
 * overwrites (all denies, then all allows), and the member's own overwrite. -1 means everything.
 */
export const EFFECTIVE_PERMISSIONS = `WITH ch AS (
    SELECT id, server_id FROM channels WHERE id = $1
  ), member_role_ids AS (
    SELECT r.id, r.permissions, r.is_default
      FROM ch JOIN roles r ON r.server_id = ch.server_id
     WHERE r.is_default
        OR r.id IN (SELECT mr.role_id FROM member_roles mr WHERE mr.server_id = ch.server_id AND mr.user_id = $2)
  ), base AS (
    SELECT bit_or(permissions) AS perms FROM member_role_ids
  ), ow AS (
    SELECT coalesce(bit_or(o.deny)  FILTER (WHERE d.is_default), 0)     AS everyone_deny,
           coalesce(bit_or(o.allow) FILTER (WHERE d.is_default), 0)     AS everyone_allow,
           coalesce(bit_or(o.deny)  FILTER (WHERE NOT d.is_default), 0) AS roles_deny,
           coalesce(bit_or(o.allow) FILTER (WHERE NOT d.is_default), 0) AS roles_allow
      FROM channel_permission_overwrites o JOIN member_role_ids d ON d.id = o.role_id
     WHERE o.channel_id = $1
  ), mine AS (
    SELECT coalesce(max(o.deny), 0) AS deny, coalesce(max(o.allow), 0) AS allow
      FROM channel_permission_overwrites o WHERE o.channel_id = $1 AND o.user_id = $2
  )
  SELECT CASE
           WHEN NOT EXISTS (SELECT 1 FROM server_members sm JOIN ch ON sm.server_id = ch.server_id WHERE sm.user_id = $2) THEN 0
           WHEN base.perms & 8 <> 0 THEN -1
           ELSE ((((base.perms & ~ow.everyone_deny) | ow.everyone_allow) & ~ow.roles_deny | ow.roles_allow) & ~mine.deny) | mine.allow
         END AS effective
    FROM base, ow, mine`;

/** A new message at the virtual now: its id is the snowflake of that time. */
export const SEND = `INSERT INTO messages (id, channel_id, author_id, content, created_at)
 VALUES (snowflake_at($4), $1, $2, $3, $4)
 RETURNING id, created_at`;
