-- Foreign keys, added after the load and validated once over the loaded rows. Each is backed by an
-- index in 05_keys (the schema audit checks it).

ALTER TABLE servers ADD CONSTRAINT servers_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id);
ALTER TABLE server_members ADD CONSTRAINT server_members_server_id_fkey FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE;
ALTER TABLE server_members ADD CONSTRAINT server_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE channels ADD CONSTRAINT channels_server_id_fkey FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE;
ALTER TABLE channels ADD CONSTRAINT channels_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES channels (id) ON DELETE SET NULL;
ALTER TABLE dm_participants ADD CONSTRAINT dm_participants_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE dm_participants ADD CONSTRAINT dm_participants_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE roles ADD CONSTRAINT roles_server_id_fkey FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE;
ALTER TABLE member_roles ADD CONSTRAINT member_roles_member_fkey FOREIGN KEY (server_id, user_id) REFERENCES server_members (server_id, user_id) ON DELETE CASCADE;
ALTER TABLE member_roles ADD CONSTRAINT member_roles_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE;
ALTER TABLE channel_permission_overwrites ADD CONSTRAINT channel_permission_overwrites_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE channel_permission_overwrites ADD CONSTRAINT channel_permission_overwrites_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE;
ALTER TABLE channel_permission_overwrites ADD CONSTRAINT channel_permission_overwrites_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE friendships ADD CONSTRAINT friendships_user_low_fkey FOREIGN KEY (user_low) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE friendships ADD CONSTRAINT friendships_user_high_fkey FOREIGN KEY (user_high) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE read_states ADD CONSTRAINT read_states_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE read_states ADD CONSTRAINT read_states_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE user_presence ADD CONSTRAINT user_presence_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE typing_indicators ADD CONSTRAINT typing_indicators_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE typing_indicators ADD CONSTRAINT typing_indicators_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_server_id_fkey FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE SET NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_user_id_fkey FOREIGN KEY (target_user_id) REFERENCES users (id) ON DELETE SET NULL;

-- Messages are never hard-deleted with their author (accounts are anonymised instead), hence no cascade.
ALTER TABLE messages ADD CONSTRAINT messages_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id);
{{^hash_partitioned}}
ALTER TABLE message_edits ADD CONSTRAINT message_edits_message_fkey FOREIGN KEY (message_id, message_created_at) REFERENCES messages (id, created_at) ON DELETE CASCADE;
ALTER TABLE reactions ADD CONSTRAINT reactions_message_fkey FOREIGN KEY (message_id, message_created_at) REFERENCES messages (id, created_at) ON DELETE CASCADE;
{{/hash_partitioned}}
ALTER TABLE reactions ADD CONSTRAINT reactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
{{^hash_partitioned}}
ALTER TABLE attachments ADD CONSTRAINT attachments_message_fkey FOREIGN KEY (message_id, message_created_at) REFERENCES messages (id, created_at) ON DELETE CASCADE;
{{/hash_partitioned}}
{{#hash_partitioned}}
-- No foreign key from edits, reactions and attachments to messages: it would need a unique key on
-- messages (id, created_at), and a partitioned table's unique keys must hold its partition key,
-- the channel, which the children do not carry. Their rows go with their message by the
-- application's own deletes (purge_messages_before deletes the children first).
{{/hash_partitioned}}
