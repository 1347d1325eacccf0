-- Keys and indexes, built after the bulk load. Every foreign key (07_foreign_keys) has an index
-- whose leading columns are its columns, so deletes on the referenced side and joins stay cheap.

ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

ALTER TABLE servers ADD CONSTRAINT servers_pkey PRIMARY KEY (id);
CREATE INDEX servers_owner_id_idx ON servers (owner_id);

ALTER TABLE server_members ADD CONSTRAINT server_members_pkey PRIMARY KEY (server_id, user_id);
CREATE INDEX server_members_user_id_idx ON server_members (user_id);

ALTER TABLE channels ADD CONSTRAINT channels_pkey PRIMARY KEY (id);
CREATE INDEX channels_server_id_idx ON channels (server_id, position);
CREATE INDEX channels_parent_id_idx ON channels (parent_id);

ALTER TABLE dm_participants ADD CONSTRAINT dm_participants_pkey PRIMARY KEY (channel_id, user_id);
CREATE INDEX dm_participants_user_id_idx ON dm_participants (user_id, channel_id);

ALTER TABLE roles ADD CONSTRAINT roles_pkey PRIMARY KEY (id);
CREATE INDEX roles_server_id_idx ON roles (server_id, position);
CREATE UNIQUE INDEX roles_one_default_per_server ON roles (server_id) WHERE is_default;

ALTER TABLE member_roles ADD CONSTRAINT member_roles_pkey PRIMARY KEY (server_id, user_id, role_id);
CREATE INDEX member_roles_role_id_idx ON member_roles (role_id);

ALTER TABLE channel_permission_overwrites ADD CONSTRAINT channel_permission_overwrites_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX channel_permission_overwrites_role_key ON channel_permission_overwrites (channel_id, role_id);
CREATE UNIQUE INDEX channel_permission_overwrites_user_key ON channel_permission_overwrites (channel_id, user_id);
CREATE INDEX channel_permission_overwrites_role_id_idx ON channel_permission_overwrites (role_id);
CREATE INDEX channel_permission_overwrites_user_id_idx ON channel_permission_overwrites (user_id);

ALTER TABLE friendships ADD CONSTRAINT friendships_pkey PRIMARY KEY (user_low, user_high);
CREATE INDEX friendships_user_high_idx ON friendships (user_high);

ALTER TABLE read_states ADD CONSTRAINT read_states_pkey PRIMARY KEY (user_id, channel_id);
CREATE INDEX read_states_channel_id_idx ON read_states (channel_id);

ALTER TABLE user_presence ADD CONSTRAINT user_presence_pkey PRIMARY KEY (user_id);
CREATE INDEX user_presence_expires_at_idx ON user_presence (expires_at);

ALTER TABLE typing_indicators ADD CONSTRAINT typing_indicators_pkey PRIMARY KEY (channel_id, user_id);
CREATE INDEX typing_indicators_user_id_idx ON typing_indicators (user_id);
CREATE INDEX typing_indicators_expires_at_idx ON typing_indicators (expires_at);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);
CREATE INDEX audit_log_server_id_idx ON audit_log (server_id, created_at);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);
CREATE INDEX audit_log_target_user_id_idx ON audit_log (target_user_id);

-- Messages: the primary key must contain the partition key, and every variant keeps the same one
-- (hash partitions by channel add the channel, which PostgreSQL requires of a partitioned key).
ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id, created_at{{#hash_partitioned}}, channel_id{{/hash_partitioned}});
{{^partial_indexes}}
-- Channel history, newest first, by keyset on id: the index every variant keeps.
CREATE INDEX messages_channel_id_idx ON messages (channel_id, id);
{{/partial_indexes}}
{{#partial_indexes}}
-- The foreign key's index: channel_id alone, whose duplicates B-tree deduplication folds into a few
-- posting lists, so it is small; it serves ON DELETE CASCADE from channels, not the reads below.
CREATE INDEX messages_channel_id_idx ON messages (channel_id);
-- Channel history, newest first: only the rows a page can show (live, not in a thread), carrying
-- every column the page returns except content, so filtering never visits the heap.
CREATE INDEX messages_channel_history_idx ON messages (channel_id, id)
  INCLUDE (author_id, created_at, reply_to_id, attachment_count, edited_at)
  WHERE deleted_at IS NULL AND thread_id IS NULL;
-- Unread counts (thread replies included): live rows only, so a count is an index-only scan.
CREATE INDEX messages_channel_live_idx ON messages (channel_id, id) WHERE deleted_at IS NULL;
{{/partial_indexes}}
CREATE INDEX messages_author_id_idx ON messages (author_id);
CREATE INDEX messages_thread_id_idx ON messages (thread_id, id) WHERE thread_id IS NOT NULL;
CREATE INDEX messages_mentions_idx ON messages USING gin (mention_user_ids) WHERE mention_user_ids IS NOT NULL;

ALTER TABLE message_edits ADD CONSTRAINT message_edits_pkey PRIMARY KEY (message_id, message_created_at, revision);

ALTER TABLE reactions ADD CONSTRAINT reactions_pkey PRIMARY KEY (message_id, message_created_at, emoji, user_id);
CREATE INDEX reactions_user_id_idx ON reactions (user_id);

-- The attachment's UUID with the column its partitions follow (the same as every other variant's
-- where that is the message's time).
ALTER TABLE attachments ADD CONSTRAINT attachments_pkey PRIMARY KEY (id, {{child_key}});
CREATE INDEX attachments_message_id_idx ON attachments (message_id, message_created_at);
