{{^hash_partitioned}}
ALTER TABLE attachments DROP CONSTRAINT attachments_message_fkey;
{{/hash_partitioned}}
ALTER TABLE reactions DROP CONSTRAINT reactions_user_id_fkey;
{{^hash_partitioned}}
ALTER TABLE reactions DROP CONSTRAINT reactions_message_fkey;
ALTER TABLE message_edits DROP CONSTRAINT message_edits_message_fkey;
{{/hash_partitioned}}
ALTER TABLE messages DROP CONSTRAINT messages_author_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_channel_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_target_user_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_server_id_fkey;
ALTER TABLE typing_indicators DROP CONSTRAINT typing_indicators_user_id_fkey;
ALTER TABLE typing_indicators DROP CONSTRAINT typing_indicators_channel_id_fkey;
ALTER TABLE user_presence DROP CONSTRAINT user_presence_user_id_fkey;
ALTER TABLE read_states DROP CONSTRAINT read_states_channel_id_fkey;
ALTER TABLE read_states DROP CONSTRAINT read_states_user_id_fkey;
ALTER TABLE friendships DROP CONSTRAINT friendships_user_high_fkey;
ALTER TABLE friendships DROP CONSTRAINT friendships_user_low_fkey;
ALTER TABLE channel_permission_overwrites DROP CONSTRAINT channel_permission_overwrites_user_id_fkey;
ALTER TABLE channel_permission_overwrites DROP CONSTRAINT channel_permission_overwrites_role_id_fkey;
ALTER TABLE channel_permission_overwrites DROP CONSTRAINT channel_permission_overwrites_channel_id_fkey;
ALTER TABLE member_roles DROP CONSTRAINT member_roles_role_id_fkey;
ALTER TABLE member_roles DROP CONSTRAINT member_roles_member_fkey;
ALTER TABLE roles DROP CONSTRAINT roles_server_id_fkey;
ALTER TABLE dm_participants DROP CONSTRAINT dm_participants_user_id_fkey;
ALTER TABLE dm_participants DROP CONSTRAINT dm_participants_channel_id_fkey;
ALTER TABLE channels DROP CONSTRAINT channels_parent_id_fkey;
ALTER TABLE channels DROP CONSTRAINT channels_server_id_fkey;
ALTER TABLE server_members DROP CONSTRAINT server_members_user_id_fkey;
ALTER TABLE server_members DROP CONSTRAINT server_members_server_id_fkey;
ALTER TABLE servers DROP CONSTRAINT servers_owner_id_fkey;
