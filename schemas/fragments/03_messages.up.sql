-- The hot tables: messages and the rows that hang off a message (edits, reactions, attachments).
-- Range-partitioned variants partition all four by period with the same bounds, so a month (or
-- week) of history is dropped as whole partitions, children first: by creation time, or by the
-- snowflake id of the period's first instant (an id cursor then prunes too; children by message_id).
-- Hash-partitioned variants split messages by channel (a channel's history in one partition) and
-- the children by message_id, each into the same number of partitions.
-- There is no DEFAULT partition: DETACH PARTITION ... CONCURRENTLY refuses to run while one exists,
-- and creating a partition would have to scan it. Partitions are made ahead of the rows instead
-- (create_message_partitions in 04_retention); a row for a period without one is refused (23514).
--
-- Every table that points at a message carries message_created_at: a foreign key to a partitioned
-- table must name its whole primary key (id, created_at), and the unpartitioned variant keeps the
-- same keys so that variants differ only in physical layout, never in logical schema.
-- reply_to_id and thread_id have no foreign key: a reply outlives the message it answers (clients
-- show "original message deleted"), as in Discord.

CREATE TABLE messages (
  id               bigint NOT NULL DEFAULT next_snowflake(),
  channel_id       bigint NOT NULL,
  author_id        bigint NOT NULL,
  content          text NOT NULL DEFAULT '',
  reply_to_id      bigint,
  thread_id        bigint,
  mention_user_ids bigint[],
  mention_everyone boolean NOT NULL DEFAULT false,
  attachment_count smallint NOT NULL DEFAULT 0 CONSTRAINT messages_attachment_count_check CHECK (attachment_count BETWEEN 0 AND 10),
  metadata         jsonb CONSTRAINT messages_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  edited_at        timestamptz,
  deleted_at       timestamptz,
  -- Text is required unless the message carries attachments (an image with no caption).
  CONSTRAINT messages_content_check CHECK (char_length(content) BETWEEN 1 AND 4000 OR (content = '' AND attachment_count > 0)),
  CONSTRAINT messages_mentions_check CHECK (cardinality(mention_user_ids) BETWEEN 1 AND 100),
  CONSTRAINT messages_edited_check CHECK (edited_at >= created_at)
){{#range_partitioned}} PARTITION BY RANGE ({{partition_key}}){{/range_partitioned}}{{#hash_partitioned}} PARTITION BY HASH (channel_id){{/hash_partitioned}};
COMMENT ON TABLE messages IS 'Chat messages; soft-deleted by deleted_at. id is a snowflake (see snowflake_at()).';

CREATE TABLE message_edits (
  message_id         bigint NOT NULL,
  message_created_at timestamptz NOT NULL,
  revision           smallint NOT NULL CONSTRAINT message_edits_revision_check CHECK (revision >= 1),
  content            text NOT NULL CONSTRAINT message_edits_content_check CHECK (char_length(content) <= 4000),
  created_at         timestamptz NOT NULL DEFAULT now()
){{#range_partitioned}} PARTITION BY RANGE ({{child_key}}){{/range_partitioned}}{{#hash_partitioned}} PARTITION BY HASH ({{child_key}}){{/hash_partitioned}};
COMMENT ON TABLE message_edits IS 'Edit history: the content a message had before each edit (written by a trigger on messages).';

CREATE TABLE reactions (
  message_id         bigint NOT NULL,
  message_created_at timestamptz NOT NULL,
  user_id            bigint NOT NULL,
  emoji              text NOT NULL CONSTRAINT reactions_emoji_check CHECK (char_length(emoji) BETWEEN 1 AND 64),
  created_at         timestamptz NOT NULL DEFAULT now()
){{#range_partitioned}} PARTITION BY RANGE ({{child_key}}){{/range_partitioned}}{{#hash_partitioned}} PARTITION BY HASH ({{child_key}}){{/hash_partitioned}};

CREATE TABLE attachments (
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  message_id         bigint NOT NULL,
  message_created_at timestamptz NOT NULL,
  filename           text NOT NULL CONSTRAINT attachments_filename_check CHECK (char_length(filename) BETWEEN 1 AND 255),
  url                text NOT NULL CONSTRAINT attachments_url_check CHECK (url ~ '^https://'),
  content_type       text NOT NULL CONSTRAINT attachments_content_type_check CHECK (content_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
  size_bytes         bigint NOT NULL CONSTRAINT attachments_size_check CHECK (size_bytes BETWEEN 1 AND 524288000),
  width              integer CONSTRAINT attachments_width_check CHECK (width > 0),
  height             integer CONSTRAINT attachments_height_check CHECK (height > 0),
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT attachments_dimensions_check CHECK ((width IS NULL) = (height IS NULL))
){{#range_partitioned}} PARTITION BY RANGE ({{child_key}}){{/range_partitioned}}{{#hash_partitioned}} PARTITION BY HASH ({{child_key}}){{/hash_partitioned}};
COMMENT ON COLUMN attachments.id IS 'A UUID: the object-storage key, minted by the uploader before the message exists.';
{{#hash_partitioned}}

-- The hash partitions exist from the start and never change: {{hash_partitions}} per table, named
-- messages_h00, messages_h01 ... and the same for each child table.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['messages', 'message_edits', 'reactions', 'attachments'] LOOP
    FOR r IN 0 .. {{hash_partitions}} - 1 LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS {{hash_partitions}}, REMAINDER %s)', t || '_h' || lpad(r::text, 2, '0'), t, r);
    END LOOP;
  END LOOP;
END
$$;
{{/hash_partitioned}}
